"""PDF to text with PDFium (pypdfium2): lines with their position and size, furniture left out.

Pages without a text layer are read by OCR (`pipeline.read.ocr`).
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.read.errors import ReportError
from pipeline.read.layout import Line, Page, assemble, body_size, classify

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# A footnote marker glued to a word or a stop: "Council.3 The", "mission12 ".
_MARKER = re.compile(r"(?<=[A-Za-z.,;:)”’\"%])(\d{1,3})(?=[\s.,;:)]|$)")


@dataclass(frozen=True)
class PdfText:
    """The text of a PDF and how it was read."""

    text: str
    pages: int
    ocr_pages: tuple[int, ...]  # 1-based numbers of the pages read by OCR


def _page_lines(page, number: int) -> list[Line] | None:
    """The lines of a page's text layer with position and size; None when it has no text."""
    import pypdfium2.raw as pdfium_c

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
            size = pdfium_c.FPDFText_GetFontSize(raw, first)
            chunk = chunk.replace("\ufffe", "-")
            line = Line(_superscripts(raw, chunk, start, size), number,
                        1 - top.value / height, size, left.value / width)
            last = start + len(chunk.rstrip()) - 1
            pdfium_c.FPDFText_GetCharBox(raw, last, left, right, bottom, top)
            line.right = right.value / width
            lines.append(line)
        return lines
    finally:
        textpage.close()


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


def _superscripts(raw, chunk: str, start: int, size: float) -> str:
    """Footnote markers set small after a word become superscript digits (same length), so
    that they are never read as quantities."""
    import pypdfium2.raw as pdfium_c

    if not _MARKER.search(chunk):
        return chunk
    out = chunk
    for m in _MARKER.finditer(chunk):
        marker = pdfium_c.FPDFText_GetFontSize(raw, start + m.start())
        if 0 < marker < size * 0.8:
            out = out[:m.start()] + m.group(1).translate(SUPERSCRIPT) + out[m.end():]
    return out


def read_pdf(path: Path, data: bytes, ocr_cache: Path | None = None) -> PdfText:
    """Read a PDF's text: the text layer where there is one, OCR where there is none."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise ReportError(path, f"not a readable PDF ({err})") from None
    try:
        pages, missing = [], []
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

            for i, lines in ocr_pages(path, pdf, missing, data, ocr_cache).items():
                pages[i] = Page(i, lines, ocr=True)
    finally:
        pdf.close()
    size = body_size(pages)
    if not size:
        raise ReportError(path, "the PDF holds no text, even after OCR")
    classify(pages, size)
    return PdfText(assemble(pages), len(pages), tuple(i + 1 for i in missing))
