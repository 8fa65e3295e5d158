"""Content lines of a report's text: running heads and feet dropped (by the report family's
patterns), Markdown marks stripped, table lines set apart, each line with its offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.read.families import Family

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_TABLE_CAPTION = re.compile(r"(?:Table|Figure)\s+[\dIVX]+[.:]?(?:\s|$)")
# "## Heading", "- 12. Paragraph", and "- 3 Available at ..." (a converted footnote)
_MD_PREFIX = re.compile(r"(#{1,6}[ \t]+|[-*+][ \t]+(?=\d{1,4}\.?[ \t]))")
_CLOSED = re.compile(rf"[.!?][\"”’')\]*_{SUPERSCRIPTS}\d]*$")
MASTHEAD_LINES = 12  # a header block printed again in the body ends within this many lines


def is_furniture(line: str, family: Family) -> bool:
    """True for running heads and feet, job numbers, barcodes and page numbers."""
    line = line.strip()
    if not line:
        return False
    if family.any_of("running_lines").match(line):
        return True
    tokens = line.split()
    token = family.any_of("running_tokens", "$")
    return (
        len(tokens) <= 6
        and all(token.match(t) for t in tokens)
        and (any("/" in t or "-" in t or t.startswith("*") for t in tokens))
    )


def is_closed(text: str) -> bool:
    """True when a text ends a sentence (so a following short line may be a heading); only
    its end is looked at, so the cost does not grow with the text."""
    return bool(_CLOSED.search(text[-80:].rstrip()))


@dataclass
class Line:
    """One content line of the text."""

    start: int  # offset of the content (after any Markdown prefix)
    end: int  # offset past the content, trailing spaces removed
    text: str
    md_heading: bool
    after_blank: bool
    after_page_break: bool = False


def _content_line(text: str, start: int, end: int, after_blank: bool, after_break: bool) -> Line:
    """The line text[start:end] without its indent, Markdown prefix and heading emphasis."""
    raw = text[start:end]
    lead = len(raw) - len(raw.lstrip())
    cstart = start + lead
    md = _MD_PREFIX.match(raw, lead)
    md_heading = bool(md and md.group(1).startswith("#"))
    if md:
        cstart = start + md.end()
    content = text[cstart:end].rstrip()
    # Markdown emphasis around a whole heading line.
    if md_heading:
        content_stripped = content.strip("*_ ")
        cstart += content.find(content_stripped)
        content = content_stripped
    return Line(cstart, cstart + len(content), content, md_heading, after_blank, after_break)


def body_lines(text: str, family: Family) -> tuple[list[Line], list[tuple[int, int]]]:
    """Content lines (furniture dropped, Markdown marks stripped) and table line spans."""
    out: list[Line] = []
    table_lines: list[tuple[int, int]] = []
    pos = 0
    blank = True
    page_break = False
    in_header_block = 0
    table_rows = -1  # >= 0 inside a plain-text table introduced by a "Table 3" caption
    paragraph = family.pattern("paragraph")
    repeat_start, repeat_end = (
        family.pattern("masthead_repeat_start"),
        family.pattern("masthead_repeat_end"),
    )
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        stripped = raw.strip()
        if table_rows >= 0 and (not stripped and table_rows >= 2 or paragraph.match(stripped)):
            table_rows = -1
        if "\f" in raw and not raw.replace("\f", "").strip():  # a page break from a reader
            page_break = True
            continue
        if not stripped or is_furniture(stripped, family):
            blank = blank or not stripped
            page_break = page_break or bool(stripped)
            continue
        if stripped.startswith("|") or table_rows >= 0 or _TABLE_CAPTION.match(stripped):
            table_lines.append((start, end))
            table_rows = -1 if stripped.startswith("|") else table_rows + 1
            blank = True
            continue
        # A header block ("Distr.: General ... Original: English") repeated inside the body.
        if repeat_start.match(stripped):
            in_header_block = MASTHEAD_LINES
            continue
        if in_header_block:
            in_header_block -= 1
            if repeat_end.match(stripped):
                in_header_block = 0
            continue
        out.append(_content_line(text, start, end, blank, page_break))
        blank = page_break = False
    return out, table_lines
