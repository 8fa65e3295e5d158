"""Reading a report's body line by line: numbered paragraphs and their labels, headings and
footnotes, by the patterns of the report's family (paragraph labels, headings)."""

from __future__ import annotations

import re

from pipeline.extract.lines import SUPERSCRIPTS, Line, is_closed
from pipeline.extract.parts import Footnote, Paragraph, Section
from pipeline.read.families import Family

_SUP_TO_DIGIT = str.maketrans(SUPERSCRIPTS, "0123456789")
_LABEL_NUMBERS = re.compile(r"(\d{1,5})")
# "3 Available at ...", "12 See A/76/123": a footnote numbered in plain digits
_PLAIN_NOTE = re.compile(r"(\d{1,3})[ \t]+(?=[A-Z*“\"<(]|www\.|http|[a-z]+\.)")
# "* E/CN.7/2022/1." is a note; "*Title*" (Markdown emphasis) is not.
_FOOTNOTE = re.compile(rf"([{SUPERSCRIPTS}]+[ \t]*|\*{{1,3}}[ \t]+)(?=\S)")
_MISREAD_DIGITS = str.maketrans("IlO|", "1101")
HEADING_SLOTS = ((1, "heading_1"), (2, "heading_2"), (3, "heading_3"))


def _plain_marker(number: int) -> re.Pattern[str]:
    """A footnote marker in plain digits: glued to a word or stop ('tool3', 'Asia.3'), or
    standing between a word and the next ('tool 3 on', 'Asia. 3 The')."""
    return re.compile(
        rf"(?:[A-Za-z;:)”’\"%]\s?|(?<!\d)[.,]\s?|\.\s){number}(?![\d,.]\d)"
        rf"(?=[\s.,;:)]|$)"
    )


def _marker_digits(marker: str) -> str:
    return marker.translate(_SUP_TO_DIGIT)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_heading_text(text: str) -> bool:
    return len(text) <= 200 and not is_closed(text) and not text.endswith((",", ";", ":"))


class Builder:
    """Accumulates sections, paragraphs and footnotes while reading lines in order."""

    def __init__(self, document_id: str, source: str, family: Family) -> None:
        self.document_id = document_id
        self.source = source
        self.family = family
        self.label = family.pattern("paragraph")
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

    def continuation(self, line: Line) -> None:
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


def _next_starts_unit(b: Builder, lines: list[Line], i: int) -> bool:
    """Whether the line after i opens a paragraph or a numbered heading."""
    if i + 1 >= len(lines):
        return True
    nxt = lines[i + 1].text
    return bool(
        b.label.match(nxt)
        or b.family.pattern("heading_1").match(nxt)
        or b.family.pattern("heading_2").match(nxt)
        or lines[i + 1].md_heading
    )


def read_front(b: Builder, line: Line) -> bool:
    """Before the body: only notes count. True once the body starts at this line (paragraph 1
    or the first top-level heading: 'I.', or 'Chapter 1' in a family that numbers so)."""
    para = b.label.match(line.text)
    first = b.family.pattern("heading_1").match(line.text)
    if para and para.group(1) == "1" or first and first.group(1) in ("I", "1"):
        return True
    if note := _FOOTNOTE.match(line.text):
        b.footnote(note.group(1), line.start, line.end)
    return False


def read_note(b: Builder, line: Line, in_notes: bool) -> bool:
    """Footnotes: superscript, '*' and plain-digit ones; True if the line was one."""
    text = line.text
    plain = None if b.label.match(text) else _PLAIN_NOTE.match(text)
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


def read_numbered(b: Builder, line: Line) -> bool:
    """Numbered paragraphs and their labels; True if the line was taken."""
    text, source = line.text, b.source
    label_only = b.family.pattern("label_only").match(text)
    if label_only and int(label_only.group(1)) == b.last_number + 1:
        # "40., 41., 42.," alone on a line: the label goes on over the next line
        numbers = [int(n) for n in _LABEL_NUMBERS.findall(text)]
        b.paragraph(numbers[0], line.end, line.end, max(numbers))
        return True
    para = b.label.match(text)
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


def _read_misread_label(b: Builder, line: Line) -> bool:
    """A misread paragraph number that is the next one in sequence; True if taken."""
    m = b.family.pattern("misread_label").match(line.text)
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


def read_heading(b: Builder, lines: list[Line], i: int) -> bool:
    """Numbered (I. / A. / 1.) and unnumbered headings; True if the line was one."""
    line, text = lines[i], lines[i].text
    for level, slot in HEADING_SLOTS:
        if (m := b.family.pattern(slot).match(text)) and _is_heading_text(m.group(2)):
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
        closed and _is_heading_text(text) and text[:1].isupper() and _next_starts_unit(b, lines, i)
    ):
        level = 2 if any(s.level == 1 for s in b.stack) else 1
        b.heading(level, None, text, line.start)
        return True
    return False
