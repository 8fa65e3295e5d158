"""Page layout: tell body text from running heads, footers and footnotes by position and size.

Both readers of PDFs (the text layer through PDFium, scans through Tesseract) produce `Line`s
with their place on the page; this module decides which lines are body text, which are
footnotes and which are page furniture, and assembles the document text from them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.read.families import Family

# Page bands, as shares of the page height measured from the top: running heads live above
# TOP_BAND, job numbers, page numbers and continuation marks below BOTTOM_BAND.
TOP_BAND = 0.14
BOTTOM_BAND = 0.80
# Footnotes are set at least this much smaller than the body text.
FOOTNOTE_RATIO = 0.9

_WORD = re.compile(r"[A-Za-z]{3,}")
# The tokens and words a running head or foot is made of (symbols, job numbers, language codes,
# date stamps, page numbers, barcodes) are its family's: `page_tokens`, `page_words`.


@dataclass
class Line:
    """One printed line: its text and where it sits (top is 0, bottom is 1) at what size."""

    text: str
    page: int
    top: float  # share of the page height from the top edge to the line's top
    size: float  # font size in points (or the OCR'd line's height converted to points)
    left: float = 0.0  # share of the page width from the left edge
    right: float = 1.0  # share of the page width from the left edge to the line's end
    kind: str = "body"  # body | footnote | furniture
    cells: list[str] | None = None  # a table row: its cells, split at wide gaps


@dataclass
class Page:
    """The lines of one page in reading order, and whether they came from OCR."""

    number: int
    lines: list[Line] = field(default_factory=list)
    ocr: bool = False


def body_size(pages: list[Page]) -> float:
    """The font size most text is set in (weighted by characters)."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def looks_like_furniture(text: str, family: Family) -> bool:
    """A short line made only of its family's furniture tokens (symbols, job numbers, page
    numbers)."""
    text = text.strip()
    if not text:
        return False
    tokens = text.split()
    if len(tokens) > 16:
        return False
    if family.pattern("job_stamp").search(text):  # "97-12804 (E) 060697": with its date stamp
        return True
    known = family.words.get("page_words", frozenset())
    words = [t for t in tokens if _WORD.fullmatch(t.strip(".,:"))]
    if words and not all(w.strip(".,:").lower() in known for w in words):
        return False
    token = family.any_of("page_tokens")
    return all(token.fullmatch(t) or t.strip(".,:").lower() in known for t in tokens)


_PAGE_NUMBER = re.compile(r"[-–]?\s?\d{1,3}\s?[-–]?")
_RULE = re.compile(r"[-_–—=*.\s]{3,}")


def _masked(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def classify(pages: list[Page], family: Family, size: float | None = None) -> None:
    """Mark each line body, footnote or furniture (by its family's patterns), in place."""
    size = body_size(pages) if size is None else size
    # A line printed in the same band on several pages (digits aside) is a running head/foot.
    repeats: Counter[str] = Counter()
    for page in pages:
        for line in page.lines:
            if line.top < TOP_BAND or line.top > BOTTOM_BAND:
                repeats[_masked(line.text)] += 1
    for page in pages:
        for line in page.lines:
            if _RULE.fullmatch(line.text.strip()):  # "-----" closing a typed report
                line.kind = "furniture"
        _mark_furniture(page, repeats, page.number == 0, family)
        _mark_footnotes(page, size)


def _mark_furniture(page: Page, repeats: Counter[str], first: bool, family: Family) -> None:
    """Running heads and feet: from the top and the bottom, up to the first line of text."""

    def furniture(line: Line) -> bool:
        if looks_like_furniture(line.text, family):
            return True
        masked = _masked(line.text)
        return repeats[masked] >= 3 and len(masked) < 60

    # From the top down and from the bottom up, furniture stops at the first line of text.
    # The first page's top is the document's header block (symbol, date, title): kept.
    if not first:
        for line in sorted(page.lines, key=lambda li: li.top):
            if line.top >= TOP_BAND or not furniture(line):
                break
            line.kind = "furniture"
    # A job number with its date stamp opens the first page's footer: it and everything below
    # it (a barcode, which OCR reads as letters) is furniture.
    stamp = family.pattern("job_stamp")
    stamps = [
        li.top
        for li in page.lines
        if li.top > BOTTOM_BAND and len(li.text.split()) <= 16 and stamp.search(li.text)
    ]
    for line in page.lines:
        if stamps and line.top >= min(stamps):
            line.kind = "furniture"
    for line in sorted(page.lines, key=lambda li: -li.top):
        if line.kind == "furniture":
            continue
        if line.top <= BOTTOM_BAND or not furniture(line):
            break
        line.kind = "furniture"
    # A page number alone at the very top or foot of a page, wherever the margins are.
    for line in (
        min(page.lines, key=lambda li: li.top, default=None),
        max(page.lines, key=lambda li: li.top, default=None),
    ):
        if line is not None and _PAGE_NUMBER.fullmatch(line.text.strip()) and not first:
            line.kind = "furniture"


def _mark_footnotes(page: Page, size: float) -> None:
    """Lines set smaller than the body, below the page's last body line, are footnotes."""
    if not size:
        return
    body = [li for li in page.lines if li.kind == "body" and li.size >= size * FOOTNOTE_RATIO]
    if not body:
        return
    lowest = max(li.top for li in body)
    for line in page.lines:
        if line.kind == "body" and line.size < size * FOOTNOTE_RATIO and line.top > lowest:
            line.kind = "footnote"


# What opens a new line of its own: a numbered paragraph or heading, a list item, a bullet.
_OPENS_UNIT = re.compile(
    r"(?:\d{1,3} ?\.|\d{1,3},(?=\s+[A-Z])"
    r"|[IVXL]{1,6}\.|[A-Z]\.|\((?:[a-z]{1,3}|\d{1,2})\)|[•·*\-–]|"
    r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s+\S"
)
# A line that ends this far short of the page's right margin ends its paragraph.
SHORT_LINE = 0.12


def reflow(
    lines: list[Line], vocabulary: set[str], family: Family, typical: int = 0
) -> tuple[list[str], bool]:
    """Printed lines joined into one line per paragraph, so that a quantity broken over a
    line end ('1.4' / 'per cent') reads, and points into the text, as one piece; and whether
    the last line runs on (to the next page)."""
    if not lines:
        return [], False
    # The right margin most full lines reach (a table or a map label may stick out further).
    long = sorted(li.right for li in lines if len(li.text) >= 30) or [max(li.right for li in lines)]
    margin = long[int(len(long) * 0.8)] if len(long) > 4 else long[-1]
    width = max(margin - min(li.left for li in lines), 0.3)
    if not typical:
        lengths = sorted(len(li.text) for li in lines)
        typical = lengths[len(lengths) // 2]
    # Justified columns (two-column layouts too) end at a right edge many lines share.
    edges = Counter(round(li.right / 0.005) for li in lines)
    column_ends = {e for e, n in edges.items() if n >= 4}

    def full(line: Line) -> bool:
        """A line that runs to the margin; a short one (a table row) never does."""
        if len(line.text) < 0.6 * typical:
            return False
        edge = round(line.right / 0.005)
        return line.right >= margin - SHORT_LINE * width or bool(
            {edge - 1, edge, edge + 1} & column_ends
        )

    # A gap wider than the usual line spacing separates paragraphs.
    steps = sorted(b.top - a.top for a, b in zip(lines, lines[1:], strict=False) if b.top > a.top)
    spacing = steps[len(steps) // 2] if steps else 1.0

    out: list[str] = []
    previous: Line | None = None
    for i, line in enumerate(lines):
        if _in_table(lines, i):
            # Table rows (cells apart by wide gaps) stay rows, as a pipe table the structure
            # keeps in `tables`, away from the prose.
            if previous is not None and not _in_table(lines, i - 1):
                out.append("")
            out.append("| " + " | ".join(line.cells or []) + " |")
            previous = None
            continue
        if i and _in_table(lines, i - 1):
            out.append("")
        text = line.text.strip()
        if text.endswith(".") and "/" in text[-12:]:
            text = family.pattern("continued").sub("", text)  # '/...': goes on overleaf
        if not text:
            continue
        gap = previous is not None and line.top - previous.top > 1.3 * spacing
        if previous is not None and out and full(previous) and not opens_unit(text) and not gap:
            out[-1] = join_lines(out[-1], text, vocabulary)
        else:
            out.append(text)
        previous = line
    return out, previous is not None and full(previous)


def _in_table(lines: list[Line], i: int) -> bool:
    """Whether line i is a row of a table: it and a neighbour both have cells."""
    if i < 0 or not lines[i].cells:
        return False
    return any(0 <= j < len(lines) and lines[j].cells for j in (i - 1, i + 1))


def opens_unit(text: str) -> bool:
    """Whether a line opens a paragraph, heading or list item (so it is never run on)."""
    return bool(_OPENS_UNIT.match(text)) or not (text[:1].isalnum() or text[:1] in "($“\"'‘")


def join_lines(first: str, second: str, vocabulary: set[str]) -> str:
    """Two lines of one paragraph as one; a word broken at the line end made whole."""
    from pipeline.read.normalise import keep_hyphen

    broken = re.search(r"([A-Za-z]+)-$", first[-60:]) if first.endswith("-") else None
    word = re.match(r"[a-z][\w-]*", second) if broken else None
    if broken and word:
        return (
            first if keep_hyphen(broken.group(1), word.group(), vocabulary) else first[:-1]
        ) + second
    return first + " " + second


def assemble(pages: list[Page], family: Family) -> str:
    """The document text: each page's body, one line per paragraph, then its footnotes;
    pages split by a form feed line. Furniture is left out."""
    every = "\n".join(li.text for page in pages for li in page.lines).lower()
    vocabulary = set(re.findall(r"[a-z][a-z-]*[a-z]", every))
    lengths = sorted(len(li.text) for page in pages for li in page.lines if li.kind == "body")
    typical = lengths[len(lengths) // 2] if lengths else 0
    out: list[str] = []
    runs_on = False
    for page in pages:
        body, last_runs_on = reflow(
            [li for li in page.lines if li.kind == "body"], vocabulary, family, typical
        )
        notes, _ = reflow([li for li in page.lines if li.kind == "footnote"], vocabulary, family)
        if runs_on and body and out and not opens_unit(body[0]):
            # A paragraph runs over the page break: its two halves become one line, and the
            # previous page's footnotes and the break follow it.
            previous_body, previous_rest = out.pop()
            previous_body[-1] = join_lines(previous_body[-1], body.pop(0), vocabulary)
            out.append((previous_body, previous_rest))
        out.append((body, notes))
        runs_on = last_runs_on
    pieces = []
    for body, notes in out:
        text = "\n".join(body)
        if notes:
            text += "\n\n" + "\n".join(notes)
        pieces.append(text.strip("\n"))
    return "\n\n\f\n\n".join(pieces) + "\n"
