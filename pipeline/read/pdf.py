"""PDF to text with PDFium (pypdfium2): lines with their position and size, furniture left out.

Pages without a text layer are read by OCR (`pipeline.read.ocr`).
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pypdfium2.raw as pdfium_c

from pipeline.read.errors import EnvironmentProblem, ReportError
from pipeline.read.families import Family, detect
from pipeline.read.layout import Line, Page, assemble, body_size, classify
from pipeline.read.options import DEFAULT, ReadOptions

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# A footnote marker glued to a word or a stop: "Council.3 The", "mission12 ".
_MARKER = re.compile(r"(?<=[A-Za-z.,;:)”’\"%])(\d{1,3})(?=[\s.,;:)]|$)")


_MATRIX = pdfium_c.FS_MATRIX()  # reused: one reader per process reads one page at a time


@dataclass(frozen=True)
class PdfText:
    """The text of a PDF and how it was read."""

    text: str
    pages: int
    ocr_pages: tuple[int, ...]  # 1-based numbers of the pages read by OCR
    family: Family  # the kind of report: its running heads and feet were left out
    ocr_source: str = ""  # where the OCR'd pages' text came from (pipeline.read.ocr)


def _page_lines(page, number: int) -> list[Line] | None:
    """The lines of a page's text layer with position and size; None when it has no text."""
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        if not text.strip():
            return None
        raw = textpage.raw
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        lines = []
        for start, chunk in _chunks(text):
            if not chunk.strip():
                continue
            first = start + len(chunk) - len(chunk.lstrip())
            pdfium_c.FPDFText_GetCharBox(raw, first, left, right, bottom, top)
            size = _size(raw, first)
            chunk = chunk.replace("\ufffe", "-")
            line = Line(
                _superscripts(raw, chunk, start, size),
                number,
                1 - top.value / height,
                size,
                left.value / width,
            )
            last = start + len(chunk.rstrip()) - 1
            pdfium_c.FPDFText_GetCharBox(raw, last, left, right, bottom, top)
            line.right = right.value / width
            line.cells = _cells(raw, line, start, width)
            lines.append(line)
        return lines
    finally:
        textpage.close()


def _size(raw, index: int) -> float:
    """A character's printed size in points: the font size times the text matrix's vertical
    scale (many PDFs set text in a 1-point font scaled up by the matrix)."""
    matrix = _MATRIX
    size = pdfium_c.FPDFText_GetFontSize(raw, index)
    if pdfium_c.FPDFText_GetMatrix(raw, index, matrix):
        size *= math.hypot(matrix.c, matrix.d) or 1.0
    return round(size, 2)


def _chunks(text: str):
    """(offset, text) of each printed line. PDFium marks a hyphen at a line end as U+FFFE and
    sometimes runs the next line on after it: that is a line end too."""
    if "\ufffe" in text:
        for m in re.finditer(r"[^\r\n\ufffe]*(?:\ufffe|(?=\r\n)|$)", text):
            if m.group():
                yield m.start(), m.group()
        return
    pos = 0
    for chunk in text.split("\r\n"):
        yield pos, chunk
        pos += len(chunk) + 2


def _cells(raw, line: Line, start: int, width: float) -> list[str] | None:
    """A line printed much wider than its text needs has wide gaps: a table row. Its cells,
    split where the gap between two words is wider than a couple of characters."""
    text = line.text.rstrip()
    if line.size <= 0 or (line.right - line.left) * width < 0.8 * len(text.strip()) * line.size:
        return None
    if not 2 <= len(text.split()) <= 12:
        return None
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    cells, cell_start, previous_end, previous_word_end = [], None, None, 0
    for m in re.finditer(r"\S+", text):
        pdfium_c.FPDFText_GetCharBox(raw, start + m.start(), left, right, bottom, top)
        word_left = left.value
        if previous_end is not None and word_left - previous_end > 1.5 * line.size:
            cells.append(text[cell_start:previous_word_end].strip())
            cell_start = m.start()
        if cell_start is None:
            cell_start = m.start()
        pdfium_c.FPDFText_GetCharBox(raw, start + m.end() - 1, left, right, bottom, top)
        previous_end, previous_word_end = right.value, m.end()
    cells.append(text[cell_start:].strip())
    return cells if len(cells) >= 2 else None


def _superscripts(raw, chunk: str, start: int, size: float) -> str:
    """Footnote markers set small after a word become superscript digits (same length), so
    that they are never read as quantities."""

    if not _MARKER.search(chunk):
        return chunk
    out = chunk
    for m in _MARKER.finditer(chunk):
        marker = _size(raw, start + m.start())
        if 0 < marker < size * 0.8:
            out = out[: m.start()] + m.group(1).translate(SUPERSCRIPT) + out[m.end() :]
    return out


def read_pdf(path: Path, data: bytes, options: ReadOptions = DEFAULT) -> PdfText:
    """Read a PDF's text: the text layer where there is one, OCR where there is none."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise ReportError(path, f"not a readable PDF ({err})") from None
    if (count := len(pdf)) > options.max_pages:
        pdf.close()
        raise EnvironmentProblem(
            path,
            f"has {count} pages, over the limit of {options.max_pages} (INDICATORS_MAX_PDF_PAGES)",
        )
    try:
        pages, missing, source = [], [], ""
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                lines = _page_lines(page, i)
            finally:
                page.close()
            pages.append(Page(i, lines or []))
            if lines is None:
                missing.append(i)
        if missing:
            from pipeline.read.ocr import ocr_pages

            read, source = ocr_pages(path, pdf, missing, data, options)
            for i, lines in read.items():
                pages[i] = Page(i, lines, ocr=True)
    finally:
        pdf.close()
    size = body_size(pages)
    if not size:
        raise ReportError(path, "the PDF holds no text, even after OCR")
    # The family is told by the printed lines of the first pages, before their furniture goes.
    opening = "\n".join(li.text for page in pages[:2] for li in page.lines)
    family = detect(opening, options.families, path.name)
    classify(pages, family, size)
    return PdfText(
        assemble(pages, family), len(pages), tuple(i + 1 for i in missing), family, source
    )
