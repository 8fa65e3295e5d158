"""Links to a document on the United Nations Official Document System (ODS), by symbol.

One function builds them, so the collection's manifest, `indicators fetch` and the landing
page link to the same place (the dataset layer, so that every layer may use it).
"""

from __future__ import annotations

from urllib.parse import quote

# The English PDF of a document, by its symbol (S/2005/453, A/47/739...).
ODS_URL = "https://documents.un.org/api/symbol/access?s={symbol}&l=en&t=pdf"


def ods_url(symbol: str, pattern: str = ODS_URL) -> str:
    """The URL of a symbol's document: the pattern with the symbol filled in ('/' and '.' kept
    as printed, anything else a query may not hold escaped)."""
    return pattern.format(symbol=quote(symbol.strip(), safe="/."))
