"""The parts of a report's body: sections, numbered paragraphs, footnotes and tables, each with
character offsets into the document text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


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
    family: str = "generic"  # the report family whose patterns read it
