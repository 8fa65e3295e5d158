"""Structure: sections, numbered paragraphs, footnotes and tables, with offsets into the text."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from pipeline.read.ingest import Document, ReportError

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_DIGIT = str.maketrans(SUPERSCRIPTS, "0123456789")


@dataclass
class Section:
    """A heading: I. / A. / 1. or unnumbered, with its place in the heading tree."""

    section_id: int
    level: int
    number: str | None
    title: str
    parent_id: int | None
    path: str
    char_start: int


@dataclass
class Paragraph:
    """A numbered paragraph; its text is the source pieces joined, with an offset map."""

    number: int
    section_id: int | None
    pieces: list[tuple[int, int, int]] = field(default_factory=list)  # (text_pos, start, end)
    last_label: int = 0  # the highest number of a label such as "5., 6., 7."
    # The text is kept as chunks and joined when read: appending line after line stays linear
    # even for a paragraph of megabytes (a hostile file), and tail() reads its end cheaply.
    _chunks: list[str] = field(default_factory=list, repr=False)
    _length: int = field(default=0, repr=False)

    @property
    def text(self) -> str:
        """The paragraph's text: its source pieces joined."""
        if len(self._chunks) > 1:
            self._chunks = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    @text.setter
    def text(self, value: str) -> None:
        self._chunks, self._length = ([value] if value else []), len(value)

    def tail(self, n: int = 80) -> str:
        """The last n characters of the text (without joining it all)."""
        out, size = [], 0
        for chunk in reversed(self._chunks):
            out.append(chunk)
            size += len(chunk)
            if size >= n:
                break
        return "".join(reversed(out))[-n:]

    def drop_last_char(self) -> None:
        """Remove the text's last character (a line-end hyphen)."""
        last = self._chunks[-1][:-1]
        self._chunks[-1:] = [last] if last else []
        self._length -= 1

    @property
    def char_start(self) -> int:
        """Offset in the source of the paragraph's first character."""
        return self.pieces[0][1]

    @property
    def char_end(self) -> int:
        """Offset in the source just past the paragraph's last character."""
        return self.pieces[-1][2]

    def add(self, source: str, start: int, end: int, glue: str = " ") -> None:
        """Append source[start:end] to the paragraph text."""
        if self._length:
            self._chunks.append(glue)
            self._length += len(glue)
        self.pieces.append((self._length, start, end))
        self._chunks.append(source[start:end])
        self._length += end - start

    def to_source(self, pos: int) -> int:
        """Map an offset in the paragraph text to an offset in the source."""
        i = max(bisect.bisect_right(self.pieces, (pos, float("inf"), 0)) - 1, 0)
        text_pos, start, end = self.pieces[i]
        return min(start + (pos - text_pos), end)


@dataclass
class Footnote:
    """A footnote and the paragraph whose marker points to it."""

    marker: str
    text: str
    paragraph: int | None
    char_start: int
    char_end: int


@dataclass
class Table:
    """A table found in the text: its cells, kept out of paragraph text."""

    table_index: int
    paragraph: int | None
    rows: list[list[str]]
    char_start: int
    char_end: int


@dataclass
class Structure:
    """The parsed body of one document."""

    document_id: str
    sections: list[Section]
    paragraphs: list[Paragraph]
    footnotes: list[Footnote]
    tables: list[Table]
    warnings: list[str]
    source: str = ""  # the document text every offset points into


# --- line classification -----------------------------------------------------------------

# "12. Text", and "5., 6., 7. Text" where one paragraph answers several numbers.
_PARA = re.compile(r"(\d{1,5})\.(?:,[ \t]*(\d{1,5})\.)*(?:(?<=\.),)?[ \t]+(?=\S)")
_LABEL_NUMBERS = re.compile(r"(\d{1,5})\.")
_LABEL_ONLY = re.compile(r"(\d{1,5})\.(?:,[ \t]*\d{1,5}\.)*,?[ \t]*$")
_TABLE_CAPTION = re.compile(r"(?:Table|Figure)\s+[\dIVX]+[.:]?(?:\s|$)")
_NOTES_HEADING = re.compile(r"(?:Notes|Footnotes|Endnotes)$")
# An annex restarts its own numbering; its text must not run on into the last paragraph.
_ANNEX_HEADING = re.compile(r"(?:Annex(?:es)?|ANNEX(?:ES)?)(?:\s+[IVXL\d]+)?\.?$")
# "3 Available at ...", "12 See A/76/123": a footnote numbered in plain digits
_PLAIN_NOTE = re.compile(r"(\d{1,3})[ \t]+(?=[A-Z*“\"<(]|www\.|http|[a-z]+\.)")
_ROMAN = re.compile(r"([IVXL]{1,6})\.[ \t]+(\S.{0,200})$")
_LETTER = re.compile(r"([A-Z])\.[ \t]+(\S.{0,200})$")
_NUMHEAD = re.compile(r"(\d{1,2})\.[ \t]+(\S.{0,200})$")
# "* E/CN.7/2022/1." is a note; "*Title*" (Markdown emphasis) is not.
_FOOTNOTE = re.compile(rf"([{SUPERSCRIPTS}]+[ \t]*|\*{{1,3}}[ \t]+)(?=\S)")
# "## Heading", "- 12. Paragraph", and "- 3 Available at ..." (a converted footnote)
_MD_PREFIX = re.compile(r"(#{1,6}[ \t]+|[-*+][ \t]+(?=\d{1,4}\.?[ \t]))")
_CLOSED = re.compile(rf"[.!?][\"”’')\]*_{SUPERSCRIPTS}\d]*$")

_FURNITURE_LINE = [
    re.compile(r"(?:(?:[A-Z]{1,4}(?:\.\d+)?/)+[\w./()-]+\s+)?(?:English\s+)?Page\s+\d+$", re.I),
    re.compile(r"[-–]?\s*\d{1,4}\s*[-–]?$"),
    re.compile(r"<!--.*-->$"),
    re.compile(r"\f"),
]
_FURNITURE_TOKEN = re.compile(
    r"(?:(?:[A-Z]{1,4}(?:\.\d+)?/)+[\w./()-]*\d[\w./-]*[A-Za-z0-9]"  # E/CN.7/2022/2, S/25719
    r"|(?:[A-Z]{1,2}\.)?\d{2}-\d{5}"  # job numbers: V.22-00123, 93-24735, GE.22-12345
    r"|\(\w\)|\d{6}|\*\d{5,}\*|\d{1,3}/\d{1,3}|\d{1,3})$"  # (E), 050593, *2200123*, 3/17
)


def is_furniture(line: str) -> bool:
    """True for running heads and feet, job numbers, barcodes and page numbers."""
    line = line.strip()
    if not line:
        return False
    if any(p.match(line) for p in _FURNITURE_LINE):
        return True
    tokens = line.split()
    return (
        len(tokens) <= 6
        and all(_FURNITURE_TOKEN.match(t) for t in tokens)
        and (any("/" in t or "-" in t or t.startswith("*") for t in tokens))
    )


def is_closed(text: str) -> bool:
    """True when a text ends a sentence (so a following short line may be a heading); only
    its end is looked at, so the cost does not grow with the text."""
    return bool(_CLOSED.search(text[-80:].rstrip()))


def _plain_marker(number: int) -> re.Pattern[str]:
    """A footnote marker in plain digits: glued to a word or stop ('tool3', 'Asia.3'), or
    standing between a word and the next ('tool 3 on', 'Asia. 3 The')."""
    return re.compile(
        rf"(?:[A-Za-z;:)”’\"%]\s?|(?<!\d)[.,]\s?|\.\s){number}(?![\d,.]\d)"
        rf"(?=[\s.,;:)]|$)"
    )


def _marker_digits(marker: str) -> str:
    return marker.translate(_SUP_TO_DIGIT)


@dataclass
class _Line:
    start: int  # offset of the content (after any Markdown prefix)
    end: int  # offset past the content, trailing spaces removed
    text: str
    md_heading: bool
    after_blank: bool
    after_page_break: bool = False


def _body_lines(text: str) -> tuple[list[_Line], list[tuple[int, int]]]:
    """Content lines (furniture dropped, Markdown marks stripped) and table line spans."""
    out: list[_Line] = []
    table_lines: list[tuple[int, int]] = []
    pos = 0
    blank = True
    page_break = False
    in_header_block = 0
    table_rows = -1  # >= 0 inside a plain-text table introduced by a "Table 3" caption
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        stripped = raw.strip()
        if table_rows >= 0 and (not stripped and table_rows >= 2 or _PARA.match(stripped)):
            table_rows = -1
        if "\f" in raw and not raw.replace("\f", "").strip():  # a page break from a reader
            page_break = True
            continue
        if not stripped or is_furniture(stripped):
            blank = blank or not stripped
            page_break = page_break or bool(stripped)
            continue
        if stripped.startswith("|") or table_rows >= 0 or _TABLE_CAPTION.match(stripped):
            table_lines.append((start, end))
            table_rows = -1 if stripped.startswith("|") else table_rows + 1
            blank = True
            continue
        # A header block ("Distr.: General ... Original: English") repeated inside the body.
        if stripped.startswith("Distr.:"):
            in_header_block = 12
            continue
        if in_header_block:
            in_header_block -= 1
            if stripped.startswith("Original:"):
                in_header_block = 0
            continue
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
        out.append(_Line(cstart, cstart + len(content), content, md_heading, blank, page_break))
        blank = page_break = False
    return out, table_lines


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_heading_text(text: str) -> bool:
    return len(text) <= 200 and not is_closed(text) and not text.endswith((",", ";", ":"))


class _Builder:
    """Accumulates sections, paragraphs and footnotes while reading lines in order."""

    def __init__(self, document_id: str, source: str) -> None:
        self.document_id = document_id
        self.source = source
        self.sections: list[Section] = []
        self.paragraphs: list[Paragraph] = []
        self.footnotes: list[Footnote] = []
        self.warnings: list[str] = []
        self.stack: list[Section] = []
        self.current: Paragraph | Footnote | Section | None = None

    @property
    def last_number(self) -> int:
        if not self.paragraphs:
            return 0
        return max(self.paragraphs[-1].number, self.paragraphs[-1].last_label)

    def plain_note_expected(self, number: int) -> bool:
        """A line '7 See ...' is footnote 7 when 7 is the next note and its marker is in text."""
        digits = [int(f.marker) for f in self.footnotes if f.marker.isdigit()]
        if number != (max(digits) + 1 if digits else 1) or not self.paragraphs:
            return False
        return any(_plain_marker(number).search(p.text) for p in self.paragraphs[-15:])

    def _link_plain(self, number: int) -> int | None:
        """The paragraph holding plain marker n: searched forward from the previous note's."""
        previous = [f.paragraph for f in self.footnotes if f.paragraph is not None]
        first = previous[-1] if previous else 0
        pattern = _plain_marker(number)
        for par in self.paragraphs:
            if par.number >= first and pattern.search(par.text):
                return par.number
        return None

    def heading(self, level: int, number: str | None, title: str, start: int) -> None:
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        label = number or title
        path = f"{parent.path} / {label}" if parent else label
        section = Section(
            len(self.sections) + 1,
            level,
            number,
            _squash(title),
            parent.section_id if parent else None,
            path,
            start,
        )
        self.sections.append(section)
        self.stack.append(section)
        self.current = section

    def paragraph(self, number: int, start: int, end: int, last_label: int = 0) -> None:
        expected = self.last_number + 1
        if number != expected:
            self.warnings.append(f"paragraph numbering jumps from {self.last_number} to {number}")
        par = Paragraph(
            number, self.stack[-1].section_id if self.stack else None, last_label=last_label
        )
        par.add(self.source, start, end)
        self.paragraphs.append(par)
        self.current = par

    def footnote(self, marker: str, start: int, end: int) -> None:
        marker = marker.strip()
        key = _marker_digits(marker)
        linked = None
        if marker.isascii() and marker.isdigit():  # a plain "3": find the paragraph with it
            linked = self._link_plain(int(marker))
        else:
            for par in reversed(self.paragraphs):
                if marker in par.text:
                    linked = par.number
                    break
        note = Footnote(key, self.source[start:end], linked, start, end)
        self.footnotes.append(note)
        self.current = note

    def continuation(self, line: _Line) -> None:
        cur = self.current
        # A footnote wrapped over a page break continues after the running head.
        if (
            isinstance(cur, Footnote)
            and not is_closed(cur.text)
            and (not line.after_blank or line.after_page_break)
        ):
            cur.text += " " + line.text
            cur.char_end = line.end
            return
        if isinstance(cur, Section) and not line.after_blank and len(cur.title) < 300:
            cur.title = _squash(cur.title + " " + line.text)
            return
        if not self.paragraphs:
            return
        par = self.paragraphs[-1]
        glue = " "
        start = line.start
        # A word hyphenated across a line end: "develop-" + "ment" becomes "development".
        if (
            not line.after_blank
            and re.search(r"[a-z]-$", par.tail(2))
            and re.match(r"[a-z]", line.text)
            and not re.match(r"(and|or|to)\b", line.text)
        ):
            last = par.pieces[-1]
            par.pieces[-1] = (last[0], last[1], last[2] - 1)
            par.drop_last_char()
            glue = ""
        par.add(self.source, start, line.end, glue)
        self.current = par


def _next_starts_unit(lines: list[_Line], i: int) -> bool:
    """Whether the line after i opens a paragraph or a numbered heading."""
    if i + 1 >= len(lines):
        return True
    nxt = lines[i + 1].text
    return bool(
        _PARA.match(nxt) or _ROMAN.match(nxt) or _LETTER.match(nxt) or lines[i + 1].md_heading
    )


def _read_front(b: _Builder, line: _Line) -> bool:
    """Before the body: only notes count. True once the body starts at this line."""
    para = _PARA.match(line.text)
    if para and para.group(1) == "1" or line.text.startswith("I.") and _ROMAN.match(line.text):
        return True
    if note := _FOOTNOTE.match(line.text):
        b.footnote(note.group(1), line.start, line.end)
    return False


def _read_note(b: _Builder, line: _Line, in_notes: bool) -> bool:
    """Footnotes: superscript, '*' and plain-digit ones; True if the line was one."""
    text = line.text
    plain = None if _PARA.match(text) else _PLAIN_NOTE.match(text)
    if plain and (in_notes or b.plain_note_expected(int(plain.group(1)))):
        b.footnote(plain.group(1), line.start, line.end)
        return True
    if in_notes and isinstance(b.current, Footnote):
        b.current.text += " " + text
        b.current.char_end = line.end
        return True
    note = _FOOTNOTE.match(text)
    if note and not text.startswith("**"):
        b.footnote(note.group(1), line.start, line.end)
        return True
    return False


def _read_numbered(b: _Builder, line: _Line) -> bool:
    """Numbered paragraphs and their labels; True if the line was taken."""
    text, source = line.text, b.source
    if (label := _LABEL_ONLY.match(text)) and int(label.group(1)) == b.last_number + 1:
        # "40., 41., 42.," alone on a line: the label goes on over the next line
        numbers = [int(n) for n in _LABEL_NUMBERS.findall(text)]
        b.paragraph(numbers[0], line.end, line.end, max(numbers))
        return True
    para = _PARA.match(text)
    if not para:
        return _read_misread_label(b, line)
    number = int(para.group(1))
    label = [int(n) for n in _LABEL_NUMBERS.findall(text[: para.end()])]
    last = b.paragraphs[-1] if b.paragraphs else None
    if last is not None and not last.text.strip() and number == b.last_number + 1:
        last.last_label = max(label)  # "43., 44.  Text" ends a label begun on the line before
        last.pieces, last.text = [], ""
        last.add(source, line.start + para.end(), line.end)
        return True
    rest = text[para.end() :]
    sentence_like = is_closed(rest) or len(rest) > 200
    if number == b.last_number + 1 or (
        b.last_number < number <= b.last_number + 3 and sentence_like and not line.md_heading
    ):
        b.paragraph(number, line.start + para.end(), line.end, max(label))
        return True
    if number <= b.last_number and sentence_like and not line.md_heading:
        # a list item "1. ..." inside a paragraph, or a repeated number
        if number == b.last_number:
            b.warnings.append(f"paragraph number {number} repeated")
        b.continuation(line)
        return True
    return False  # out of sequence and short: a numbered heading


# A paragraph number as an old OCR text layer misreads it: "IO." for 10, ".8." for 8, "l2." for
# 12, "14.:«The", "1.. The". Taken only when it reads as the very next number and a sentence
# follows.
_MISREAD_LABEL = re.compile(
    r"[.,'‘`]?([0-9IlO|]{1,3}) ?[.,](?:[^\w\s]|[a-z](?=[^\w\s])){0,3}"
    r"[ \t]*(?=[A-Z“\"(])"
)
_MISREAD_DIGITS = str.maketrans("IlO|", "1101")


def _read_misread_label(b: _Builder, line: _Line) -> bool:
    """A misread paragraph number that is the next one in sequence; True if taken."""
    m = _MISREAD_LABEL.match(line.text)
    if not m or not any(c.isdigit() for c in m.group(1)) and len(m.group(1)) < 2:
        return False
    rest = line.text[m.end() :]
    if not any(c.isdigit() for c in m.group(1)) and rest.upper() == rest:
        return False  # "II. MILITARY ASPECTS": a Roman-numbered heading, not paragraph 11
    number = int(m.group(1).translate(_MISREAD_DIGITS))
    if number != b.last_number + 1 or m.group() == f"{number}. ":
        return False
    b.warnings.append(f"paragraph {number} read from a misread label {m.group().strip()!r}")
    b.paragraph(number, line.start + m.end(), line.end)
    return True


def _read_heading(b: _Builder, lines: list[_Line], i: int) -> bool:
    """Numbered (I. / A. / 1.) and unnumbered headings; True if the line was one."""
    line, text = lines[i], lines[i].text
    for level, pattern in ((1, _ROMAN), (2, _LETTER), (3, _NUMHEAD)):
        if (m := pattern.match(text)) and _is_heading_text(m.group(2)):
            b.heading(level, m.group(1), m.group(2), line.start)
            return True
    cur = b.current
    # After a heading, a capitalised heading-like line is the next heading; a wrapped
    # heading continues in lower case.
    closed = (
        cur is None
        or isinstance(cur, Section)
        and (line.after_blank or text[:1].isupper())
        or (
            isinstance(cur, (Paragraph, Footnote))
            and is_closed(cur.tail() if isinstance(cur, Paragraph) else cur.text)
        )
    )
    if line.md_heading or (
        closed and _is_heading_text(text) and text[:1].isupper() and _next_starts_unit(lines, i)
    ):
        level = 2 if any(s.level == 1 for s in b.stack) else 1
        b.heading(level, None, text, line.start)
        return True
    return False


_AMENDMENT = re.compile(r"(?:^|[/_.\s])(?:Add|Corr|Rev)\.\d+\b|\b(?:Addendum|Corrigendum)\b")


def is_amendment(doc: Document) -> bool:
    """An addendum or corrigendum: by its file name, its symbol or its first lines."""
    return bool(
        _AMENDMENT.search(doc.source_file)
        or any(_AMENDMENT.search(s) for s in doc.metadata.symbols)
        or _AMENDMENT.search(doc.text[:1500])
    )


def parse(doc: Document) -> Structure:
    """Split a document into sections, numbered paragraphs, footnotes and tables."""
    lines, table_spans = _body_lines(doc.text)
    b = _Builder(doc.document_id, doc.text)
    in_body = in_notes = False
    for i, line in enumerate(lines):
        if not in_body:
            in_body = _read_front(b, line)
            if not in_body:
                continue
        if _NOTES_HEADING.match(line.text):
            in_notes = True  # an end-notes section: numbered lines from here are footnotes
            b.current = None
            continue
        if _ANNEX_HEADING.match(line.text) and b.paragraphs:
            b.warnings.append(f"text from '{line.text}' on (an annex) is not read")
            break
        if not (
            _read_note(b, line, in_notes) or _read_numbered(b, line) or _read_heading(b, lines, i)
        ):
            b.continuation(line)
    if not b.paragraphs:
        if not is_amendment(doc):
            raise ReportError(doc.source_file, "no numbered paragraphs found (expected '1. ...')")
        # An addendum or corrigendum amends another report: it is kept, with what it holds
        # (tables, notes, its metadata), and says why it has no paragraphs.
        b.warnings.append(
            "no numbered paragraphs: an addendum or corrigendum (its text amends another report)"
        )
    tables = _tables(doc.text, table_spans, b.paragraphs)
    return Structure(
        doc.document_id, b.sections, b.paragraphs, b.footnotes, tables, b.warnings, doc.text
    )


def _tables(source: str, spans: list[tuple[int, int]], paragraphs: list[Paragraph]) -> list[Table]:
    """Group consecutive Markdown table lines into tables linked to the paragraph before."""
    tables: list[Table] = []
    group: list[tuple[int, int]] = []

    def flush() -> None:
        if not group:
            return
        rows = []
        for s, e in group:
            line = source[s:e].strip()
            parts = (
                line.strip("|").split("|") if line.startswith("|") else re.split(r"\s{2,}|\t", line)
            )
            cells = [c.strip() for c in parts]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                rows.append(cells)
        start = group[0][0]
        before = [p.number for p in paragraphs if p.char_start < start]
        tables.append(
            Table(len(tables) + 1, before[-1] if before else None, rows, start, group[-1][1])
        )
        group.clear()

    for span in spans:
        if group and source[group[-1][1] : span[0]].strip():
            flush()
        group.append(span)
    flush()
    return tables


def section_titles(structure: Structure) -> dict[int, Section]:
    """Sections by id."""
    return {s.section_id: s for s in structure.sections}


def theme_of(
    structure: Structure, section_id: int | None, by_id: dict[int, Section] | None = None
) -> tuple[str | None, str | None]:
    """The thematic section (level 2, else level 1) and the sub-outcome heading (level 3)."""
    by_id = by_id if by_id is not None else section_titles(structure)
    chain = []
    while section_id is not None:
        sec = by_id[section_id]
        chain.append(sec)
        section_id = sec.parent_id
    levels = {s.level: s.title for s in chain}
    theme = levels.get(2) or levels.get(1)
    return theme, levels.get(3)
