"""The landing page, built from a real package and opened in a real headless Chromium."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pipeline.dataset.series import indicator_rows
from pipeline.dataset.site import build_site, release_date, write_site

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")

# Police strength of UNMIT as stated in its reports (S/2007/50 ... S/2012/765).
POLICE = [
    ("2007-01-26", 1313),
    ("2007-08-20", 1635),
    ("2008-01-07", 1480),
    ("2008-07-08", 1542),
    ("2009-01-20", 1510),
    ("2009-08-31", 1560),
]


def _write_csv(path: Path, rows: list[dict]) -> bytes:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path.read_bytes()


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    """The committed package plus a series and the codelist, as a published folder."""
    folder = tmp_path / "published"
    shutil.copytree(
        ROOT / "published",
        folder,
        ignore=shutil.ignore_patterns("*.duckdb*", ".lock", "index.html", "README.md"),
    )
    series = [
        {
            "indicator": "POLICE_STRENGTH",
            "subject": "UNMIT",
            "ref_area": "TLS",
            "period": d,
            "value": v,
            "value_max": "",
            "unit": "count",
            "qualifier": "exact",
            "document_id": f"UNMIT_{i}",
            "date_issued": "",
            "metric_id": f"UNMIT_{i}:1-2",
            "rule": "POLICE_STRENGTH#1",
            "sources": f"UNMIT_{i}:1-2",
            "n_reports": 1,
        }
        for i, (d, v) in enumerate(POLICE)
    ]
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    # A known release and series of its own, whatever the committed package holds today.
    descriptor["version"] = "1.0.0"
    descriptor["resources"] = [
        r for r in descriptor["resources"] if r["name"] not in ("series", "indicators")
    ]
    for name, rows in (("series", series), ("indicators", indicator_rows())):
        data = _write_csv(folder / "data" / f"{name}.csv", rows)
        schema = json.loads((ROOT / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
        descriptor["resources"].append(
            {
                "name": name,
                "type": "table",
                "path": f"data/{name}.csv",
                "format": "csv",
                "title": f"{name} (CSV)",
                "description": schema["description"],
                "bytes": len(data),
                "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            }
        )
    (folder / "CHANGELOG.md").write_text(
        "# Changelog\n\n## 1.0.0 (2026-01-15)\n\nFirst release.\n- Added document: x\n",
        encoding="utf-8",
    )
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return folder


def test_site_is_deterministic_and_says_what_people_need(package):
    first = build_site(package)
    assert build_site(package) == first
    page = first["index.html"].decode()
    readme = first["README.md"].decode()
    for text in (
        "Version <strong>1.0.0</strong>, released 2026-01-15",
        "How to cite",
        "Creative Commons Attribution 4.0",
        "data/metrics.parquet",
        "Data dictionary",
        "Measured accuracy",
        "First release.",
        "Police strength, UNMIT",
    ):
        assert text in page
    assert "version 1.0.0 (2026-01-15)" in readme
    sha = hashlib.sha256((package / "data" / "metrics.csv").read_bytes()).hexdigest()
    assert sha in page and sha in readme
    assert "cdn.jsdelivr" not in page and "<script src=" not in page  # works offline


def test_release_date_is_read_from_the_changelog_entry():
    log = "# Changelog\n\n## 1.1.0 (2026-03-02)\n\n## 1.0.0 (2026-01-15)\n"
    assert release_date(log, "1.0.0") == "2026-01-15"
    assert release_date(log, "2.0.0") is None


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_page_renders_in_a_headless_browser_and_every_link_resolves(package):
    from playwright.sync_api import sync_playwright

    write_site(package)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((package / "index.html").as_uri())
        page.wait_for_selector(".chart svg", timeout=20000)
        charts = page.eval_on_selector_all(".chart", "els => els.length")
        drawn = page.eval_on_selector_all(".chart svg .mark-line path", "els => els.length")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
        ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        browser.close()
    assert errors == []
    assert charts >= 1 and drawn >= charts
    assert all(u.startswith("file://") for u in requests)  # nothing fetched from the network
    for href in hrefs:
        url = urlparse(href)
        if url.scheme in ("http", "https"):
            assert url.netloc, href  # external: a well-formed address (no network in tests)
        elif href.startswith("#"):
            assert href[1:] in ids, href
        else:
            assert (package / href).is_file(), href


def test_a_damaged_vega_cache_is_rebuilt_not_served():
    """The landing page's Vega bundle is cached in .cache/vega; a truncated copy is rebuilt."""
    from pipeline.dataset.site import _vega_bundle

    bundle = _vega_bundle()
    cached = next((Path(__file__).resolve().parents[1] / ".cache" / "vega").glob("*.js"))
    cached.write_text(cached.read_text(encoding="utf-8")[:1000], encoding="utf-8")
    assert _vega_bundle() == bundle
    assert cached.read_text(encoding="utf-8").endswith(bundle)
