"""The landing page, built from a real package and opened in a real headless Chromium."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pipeline.dataset.series import indicator_rows
from pipeline.dataset.site import build_site, release_date, resource_rows, write_site
from pipeline.dataset.site_data import (
    CSV_FIELDS,
    STRENGTH,
    accuracy_text,
    document_symbol,
    missions,
    report_url,
)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
WIDTHS = (1280, 390)
URL = "https://data.example.org/un-report-indicators/"

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


def _published_rows(folder: Path, name: str) -> list[dict]:
    """Every row of a published CSV resource, from all its files (shards)."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return resource_rows([folder], package, name)


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _copy_published(folder: Path) -> Path:
    """The committed package, without the page made from it."""
    shutil.copytree(
        ROOT / "published",
        folder,
        ignore=shutil.ignore_patterns("*.duckdb*", ".lock", "index.html", "README.md"),
    )
    return folder


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    """The committed package plus a series and the codelist of its own, as a published folder."""
    folder = _copy_published(tmp_path / "published")
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
            "sources": f"UNMIT_{i}",
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
    first = build_site(package, URL)
    assert build_site(package, URL) == first
    page = first["index.html"].decode()
    readme = first["README.md"].decode()
    for text in (
        "Version <strong>1.0.0</strong>, released 2026-01-15",
        "How to cite",
        "Creative Commons Attribution 4.0",
        "data/metrics/",
        "Data dictionary",
        "Measured accuracy",
        "First release.",
        '"POLICE_STRENGTH"',
        'data-mission="UNMIT"',
        f'<a href="{URL}">{URL}</a>',
        "@misc{un-report-indicators-1.0.0,",
        "  version      = {1.0.0}",
        "  date         = {2026-01-15}",
        f"  url          = {{{URL}}}",
    ):
        assert text in page, text
    assert (
        f"version 1.0.0 (2026-01-15). Dataset 'un-report-indicators', licence CC-BY-4.0. {URL}"
        in readme
    )
    first_metrics = sorted((package / "data" / "metrics").glob("*.csv"))[0]
    sha = hashlib.sha256(first_metrics.read_bytes()).hexdigest()
    assert sha in page and sha in readme
    assert "<script src=" not in page and "<link" not in page  # nothing to fetch: works offline
    assert 'href="http:' not in page


def test_a_page_made_with_the_rows_of_earlier_releases_is_the_same(package, tmp_path, monkeypatch):
    from pipeline.dataset import site
    from pipeline.dataset.site import RowsMemo

    memo_file = tmp_path / "state" / "site-rows.json"
    first = build_site(package, URL, memo=RowsMemo(memo_file))
    assert not memo_file.exists()  # kept only when the release is published
    memo = RowsMemo(memo_file)
    assert build_site(package, URL, memo=memo) == first
    memo.save()
    kept = json.loads(memo_file.read_text(encoding="utf-8"))
    assert "data/series.csv" in kept and kept["data/series.csv"]
    # a file read for an earlier release is not read again (its name is its content's hash)
    monkeypatch.setattr(site, "_read_csv", lambda path: pytest.fail(f"{path} read again"))
    assert build_site(package, URL, memo=RowsMemo(memo_file)) == first


def test_without_an_address_the_page_cites_the_one_it_is_opened_at(package):
    page = build_site(package)["index.html"].decode()
    assert '<span class="page-url">the address of this page</span>' in page
    assert f"{URL}" not in page


def test_release_date_is_read_from_the_changelog_entry():
    log = "# Changelog\n\n## 1.1.0 (2026-03-02)\n\n## 1.0.0 (2026-01-15)\n"
    assert release_date(log, "1.0.0") == "2026-01-15"
    assert release_date(log, "2.0.0") is None


def test_a_report_links_to_the_un_document_system_by_its_symbol():
    assert report_url("S/2007/50") == (
        "https://documents.un.org/api/symbol/access?s=S/2007/50&l=en&t=pdf"
    )
    assert document_symbol({"document_id": "UNMIT_S_2010_85", "symbols": "S/2010/85"}) == (
        "S/2010/85"
    )
    # no symbol printed: the one the file is named after, if any
    assert document_symbol({"document_id": "UNMIT_S_2010_522", "symbols": ""}) == "S/2010/522"
    assert document_symbol({"document_id": "ONUSAL_S_26005", "symbols": ""}) == "S/26005"
    assert document_symbol({"document_id": "unodc-activities-report-2021", "symbols": ""}) == ""


def test_accuracy_is_said_in_words():
    hard = {"key_figures": "6", "found": "6", "predicted": "5", "correct": "5", "dated": "6",
            "dated_right": "3", "recall": "1", "precision": "1", "as_of_right": "0.5"}  # fmt: skip
    assert accuracy_text(hard) == (
        "Checked against 6 figures read by hand from the reports: 6 of 6 (100 %) are in the "
        "series; 5 of 5 (100 %) of the values shown from those reports match a hand-read "
        "figure; the date is right for 3 of 6 (50 %)."
    )
    assert accuracy_text({}).startswith("Not measured yet")


def test_every_mission_is_listed_with_its_coverage():
    documents = _published_rows(ROOT / "published", "documents")
    series = _published_rows(ROOT / "published", "series")
    listed = {m.code: m for m in missions(documents, series)}
    assert {r["subject"] for r in series} <= set(listed)
    for m in listed.values():
        assert m.reports >= 1 and m.first_year <= m.last_year
        strength = [c for c in m.indicators if c in STRENGTH]
        assert not strength or m.default in strength  # a strength figure is shown first


# --- In a browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    """The page made from the repository's published tables, as they are."""
    folder = _copy_published(tmp_path_factory.mktemp("site") / "published")
    write_site(folder)
    return folder


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],  # fmt: skip
        )
        yield chromium
        chromium.close()


class Opened:
    """A page opened at one width, with what it logged and fetched."""

    def __init__(self, browser, folder: Path, width: int):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(
            viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto((folder / "index.html").as_uri())
        self.page.wait_for_selector("#chart svg")

    def js(self, script: str):
        return self.page.evaluate(script)

    def chart(self) -> dict:
        """What the chart shows: its title, points, line, and the table's rows."""
        return self.js(
            """() => ({
              title: document.getElementById('series-title').textContent,
              points: document.querySelectorAll('#chart svg circle.point').length,
              lines: document.querySelectorAll('#chart svg path.line').length,
              years: [...document.querySelectorAll('#chart svg text.tick')].map(t => t.textContent),
              rows: [...document.querySelectorAll('#series-rows tr')].map(r => r.textContent),
            })"""
        )

    def choose(self, mission: str, indicator: str | None = None) -> dict:
        self.page.select_option("#mission", mission)
        if indicator:
            self.page.select_option("#indicator", indicator)
        return self.chart()


def _series(folder: Path) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for r in _published_rows(folder, "series"):
        out.setdefault((r["subject"], r["indicator"]), []).append(r)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_the_screen_and_nothing_is_empty(browser, real, width):
    opened = Opened(browser, real, width)
    fits = "document.documentElement.scrollWidth <= innerWidth"
    assert opened.js(fits)
    opened.js("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert opened.js(fits)  # every table and list opened, still no sideways scrolling
    wide = opened.js(
        "[...document.querySelectorAll('table, pre, svg, select')]"
        ".filter(t => t.getBoundingClientRect().right > innerWidth + 0.5)"
        ".map(t => t.outerHTML.slice(0, 80))"
    )
    assert wide == []
    empty = opened.js(
        """[...document.querySelectorAll('section')].filter(s =>
             s.innerText.trim().length <= s.querySelector('h2').innerText.trim().length)
           .map(s => s.id)
           .concat([...document.querySelectorAll('tbody, ul, dd, details, td:first-child')]
             .filter(el => !el.textContent.trim()).map(el => el.tagName + ' in ' +
               el.closest('section').id))"""
    )
    assert empty == []
    # without a configured address, the citation gives the one the page was opened at
    cited = opened.js("[...document.querySelectorAll('.page-url')].map(s => s.textContent)")
    assert cited and set(cited) == {(real / "index.html").as_uri()}
    assert opened.errors == []
    assert all(u.startswith(("file://", "blob:")) for u in opened.requests)  # offline


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_choosing_a_mission_and_an_indicator_changes_the_chart_and_table(browser, real, width):
    opened = Opened(browser, real, width)
    series = _series(real)
    first = opened.chart()
    mission = opened.js("document.getElementById('mission').value")
    indicator = opened.js("document.getElementById('indicator').value")
    assert first["points"] == len(first["rows"]) == len(series[mission, indicator])
    assert any(y.isdigit() and len(y) == 4 for y in first["years"])  # years on the time axis
    other = sorted(m for m, _ in series if m != mission)[0]
    second = opened.choose(other)
    assert second["title"] != first["title"] and second["rows"] != first["rows"]
    codes = opened.js("[...document.getElementById('indicator').options].map(o => o.value)")
    assert set(codes) == {c for m, c in series if m == other}
    if len(codes) > 1:
        now = opened.js("document.getElementById('indicator').value")
        third = opened.choose(other, next(c for c in codes if c != now))
        assert third["title"] != second["title"]
    # a mission's code in the list of missions chooses it too
    opened.page.click(f'#missions a[data-mission="{mission}"]')
    assert opened.js("document.getElementById('mission').value") == mission
    assert opened.chart() == first
    assert opened.errors == []


@pytest.mark.slow
def test_every_mission_with_strength_figures_shows_its_series(browser, real):
    opened = Opened(browser, real, WIDTHS[0])
    strength = {k: v for k, v in _series(real).items() if k[1] in STRENGTH}
    assert strength  # the committed release has strength figures
    for (mission, code), rows in sorted(strength.items()):
        shown = opened.choose(mission, code)
        assert shown["points"] == len(shown["rows"]) == len(rows), (mission, code)
        assert shown["lines"] == (1 if len(rows) > 1 else 0)
    assert opened.errors == []


@pytest.mark.slow
def test_the_csv_download_is_the_chosen_series(browser, real):
    opened = Opened(browser, real, WIDTHS[1])
    series = _series(real)
    first = (
        opened.js("document.getElementById('mission').value"),
        opened.js("document.getElementById('indicator').value"),
    )
    # and the series whose values most often come from several reports
    merged = max(
        series, key=lambda k: (sum(r["sources"] != r["document_id"] for r in series[k]), k)
    )
    for mission, code in (first, merged):
        opened.choose(mission, code)
        with opened.page.expect_download() as download:
            opened.page.click("#series-csv")
        assert download.value.suggested_filename == f"{mission}-{code}.csv"
        got = _rows(Path(download.value.path()))
        want = [{k: r[k] for k in CSV_FIELDS} for r in series[mission, code]]
        assert got == want
    assert opened.errors == []


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_every_link_resolves(browser, real, width):
    opened = Opened(browser, real, width)
    hrefs = opened.js("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    ids = set(opened.js("[...document.querySelectorAll('[id]')].map(e => e.id)"))
    sources = opened.js("[...document.querySelectorAll('#series-sources a')].map(a => a.href)")
    assert sources and all(
        s.startswith("https://documents.un.org/api/symbol/access?s=") for s in sources
    )
    for href in hrefs:
        url = urlparse(href)
        if url.scheme == "blob":
            continue  # the CSV of the chosen series, made in the page
        if url.scheme:
            assert url.scheme == "https" and url.netloc and " " not in href, href
        elif href.startswith("#"):
            assert href[1:] in ids, href
        else:
            assert (real / href).is_file(), href
    assert opened.errors == []
