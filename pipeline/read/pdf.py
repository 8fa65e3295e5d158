"""Text from a PDF's text layer, page by page (pypdf)."""

from __future__ import annotations

import io
from pathlib import Path


def pdf_text(path: Path, data: bytes) -> str:
    """Extract the text layer of a PDF; pages are separated by a form feed line."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from pipeline.read.errors import ReportError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as err:
        raise ReportError(path, f"not a readable PDF ({err})") from None
    if not any(p.strip() for p in pages):
        raise ReportError(path, "PDF has no text layer (scanned image?); OCR it first")
    return "\n\n\f\n\n".join(p.strip("\n") for p in pages) + "\n"
