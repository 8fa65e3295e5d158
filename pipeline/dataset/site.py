"""The landing page: published/index.html and published/README.md, generated from the package.

Everything on them is read from the published folder (datapackage.json, CHANGELOG.md and the
data tables), so the same package gives the same bytes. The page is one self-contained file:
its data (every series, by mission and indicator) is embedded as JSON, and a small script of
our own (site_assets/explore.js) draws the chosen series as an SVG chart; nothing is fetched.
What it shows is computed from plain rows in site_data.py; site_sections.py writes each part.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from pipeline.dataset import site_data
from pipeline.dataset import site_sections as sections
from pipeline.dataset.releases import decode_json
from pipeline.dataset.shards import resource_paths, shard_entries
from pipeline.dataset.site_data import Download, Page, Release
from pipeline.dataset.site_sections import citation, e
from pipeline.dataset.statcache import read_entries, write_entries

# The tables the page is made from (rows of the published CSV files).
TABLES = ("documents", "series", "indicators", "indicator_accuracy", "evaluation")
# (id, menu label, section title, renderer), in the page's order.
SECTIONS = (
    ("missions", "Missions", "Missions", sections.missions),
    ("indicators", "Indicators", "Indicators", sections.indicators),
    ("downloads", "Downloads", "Downloads", sections.downloads),
    ("reports", "Reports", "Reports read", sections.reports),
    ("cite", "Cite", "How to cite", sections.cite),
    ("licence", "Licence", "Licence", sections.licence),
    ("accuracy", "Accuracy", "Measured accuracy of the extraction", sections.accuracy),
    ("dictionary", "Data dictionary", "Data dictionary", sections.dictionary),
    ("changelog", "Changelog", "Changelog", sections.changelog),
)


def _read_csv(path: Path) -> list[dict]:
    """A published CSV's rows; no field is too long to read (a long one never blocks a release)."""
    if not path.exists():
        return []
    csv.field_size_limit(2**31 - 1)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _located(folders: list[Path], path: str) -> Path:
    """A published file: in the first folder holding it (a release's new files are staged)."""
    return next((f / path for f in folders if (f / path).exists()), folders[-1] / path)


class RowsMemo:
    """The rows of published CSV files by path, kept between releases (in the state folder):
    a data file is named by its content's hash, so its rows never change, and a release's
    page reads only its new files (at 10,000 reports, one `documents` file per report)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else None
        self.entries: dict[str, list[dict]] = read_entries(self.path) if self.path else {}
        self.used: set[str] = set()

    def rows(self, folders: list[Path], rel: str) -> list[dict]:
        """A CSV file's rows, read once."""
        self.used.add(rel)
        if isinstance(found := self.entries.get(rel), list):
            return found
        located = _located(folders, rel)
        rows = _read_csv(located)
        if located.exists():  # a missing file is not remembered as empty
            self.entries[rel] = rows
        return rows

    def save(self) -> None:
        """Keep the rows of the files this page used, atomically."""
        if self.path is None:
            return
        write_entries(self.path, {k: v for k, v in self.entries.items() if k in self.used})


def resource_rows(
    folders: list[Path], package: dict, name: str, memo: RowsMemo | None = None
) -> list[dict]:
    """Every row of a CSV resource, from all its files (shards) in order."""
    memo = memo or RowsMemo()
    for res in package.get("resources", []):
        if res.get("name") == name and res.get("format") == "csv":
            return [r for p in resource_paths(res) for r in memo.rows(folders, p)]
    return []


def downloads(folders: list[Path], package: dict) -> list[Download]:
    """Every resource of the package with its size and sha256 (as the descriptor records it);
    a sharded one by its first file and the number of files (the descriptor lists them all)."""
    out = []
    for res in package.get("resources", []):
        entries = shard_entries(res)
        if not entries:
            continue
        size = sum(e.get("bytes") or _located(folders, e["path"]).stat().st_size for e in entries)
        title = res.get("title", res["name"])
        if len(entries) > 1:
            title += f", {len(entries)} files (one per report) listed in datapackage.json"
        out.append(
            Download(
                entries[0]["path"],
                title,
                res.get("description", ""),
                size,
                str(entries[0].get("hash") or "").removeprefix("sha256:"),
            )
        )
    return out


def release_date(changelog: str, version: str) -> str | None:
    """The date of a version's changelog entry ('## 1.2.0 (2026-05-04)' or '## 1.2.0 - date')."""
    m = re.search(rf"^## {re.escape(version)}\b.*?(\d{{4}}-\d{{2}}-\d{{2}})", changelog, re.M)
    return m.group(1) if m else None


def make_page(release: Release, files: list[Download], tables: dict[str, list[dict]]) -> Page:
    """What the page shows, from the release and the published tables' rows (TABLES)."""
    documents, series = tables.get("documents", []), tables.get("series", [])
    indicators = tables.get("indicators", [])
    return Page(
        release,
        files,
        site_data.reports(documents),
        site_data.missions(documents, series),
        site_data.explorer_data(
            documents, series, indicators, tables.get("indicator_accuracy", [])
        ),
        indicators,
        tables.get("evaluation", []),
    )


def _head(title: str) -> list[str]:
    """The page's head: title, viewport and the inline stylesheet."""
    css = (sections.ASSETS / "style.css").read_text(encoding="utf-8")
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>\n{css.strip()}\n</style>",
        "</head>",
    ]


def summary(page: Page) -> str:
    """One sentence for people new to the dataset: how many reports, on what, over which years."""
    years = sorted(r.date[:4] for r in page.reports if r.date)
    if not years:
        return ""
    span = f"{years[0]} to {years[-1]}" if years[0] != years[-1] else years[0]
    plural = "s" if len(page.reports) != 1 else ""
    return (
        f"Figures read automatically from {len(page.reports)} United Nations report{plural} "
        f"on {len(page.missions)} missions and offices, issued from {span}. Each figure links "
        "back to the report it comes from."
    )


def render_html(page: Page) -> str:
    """The landing page."""
    release = page.release
    explore = sections.explore(page)
    bodies = [(i, label, title, render(page)) for i, label, title, render in SECTIONS]
    menu = ([("explore", "Explore")] if explore else []) + [
        (i, label) for i, label, _, body in bodies if body
    ]
    date = f", released {e(release.date)}" if release.date else ""
    parts = [
        *_head(release.title),
        "<body>",
        "<header>",
        f"<h1>{e(release.title)}</h1>",
        f"<p>Version <strong>{e(release.version)}</strong>{date}.</p>",
        f"<p>{e(summary(page))}</p>" if summary(page) else "",
        f"<p>{e(release.package.get('description', ''))}</p>",
        "<nav>" + "".join(f'<a href="#{i}">{e(label)}</a>' for i, label in menu) + "</nav>",
        "</header>",
        "<main>",
        explore,
        *(sections.section(i, title, body) for i, _, title, body in bodies),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def render_readme(page: Page) -> str:
    """published/README.md: what the dataset is, downloads, sources, licence, citation."""
    release, package = page.release, page.release.package
    date = f", released {release.date}" if release.date else ""
    lines = [f"# {release.title}", "", f"Version {release.version}{date}.", ""]
    lines += [package.get("description", ""), ""]
    lines += ["Open `index.html` to explore each mission's series, the indicators' definitions,"]
    lines += ["the data dictionary and the changelog.", ""]
    lines += ["## Downloads", "", "| file | size | sha256 |", "| --- | --- | --- |"]
    lines += [
        f"| [{f.path}]({f.path}) | {sections.size(f.size)} | `{f.sha256}` |" for f in page.files
    ]
    lines += ["", "## Reports read", ""]
    lines += [
        f"- [{r.symbol}]({r.url}) {r.date}: {r.title}" if r.url else f"- {r.date}: {r.title}"
        for r in page.reports
    ]
    lines += ["", "## Licence", ""]
    lines += [
        f"- [{lic.get('title', lic['name'])}]({lic.get('path', '')})"
        for lic in package.get("licenses", [])
    ]
    lines += ["", "## How to cite", "", citation(package, release.date, release.url), ""]
    lines += ["```bibtex", sections.bibtex(release, release.url or "URL of this folder"), "```"]
    lines += ["", "## Measured accuracy", ""]
    if page.accuracy:
        lines += ["| report | measure | value |", "| --- | --- | --- |"]
        lines += [f"| {r['document_id']} | {r['measure']} | {r['value']} |" for r in page.accuracy]
    else:
        lines.append("No report in this release has a hand-made gold set.")
    lines += ["", "See `CHANGELOG.md` for what changed in each release.", ""]
    return "\n".join(lines)


def build_site(
    published: Path,
    url: str = "",
    also: Path | None = None,
    memo: RowsMemo | None = None,
    package: dict | None = None,
) -> dict[str, bytes]:
    """index.html and README.md for a published folder, as bytes (not written).
    url: the address the folder is published at, cited on the page ('' when unknown).
    also: the published folder a staged release's unchanged files are in. memo: the rows
    of files read for earlier releases. package: its datapackage.json as a dict, when the
    caller has it (else read)."""
    published = Path(published)
    folders = [published, *([Path(also)] if also is not None else [])]
    if package is None:
        package = decode_json((published / "datapackage.json").read_bytes())
    log = published / "CHANGELOG.md"
    changelog = log.read_text(encoding="utf-8") if log.exists() else ""
    release = Release(package, changelog, release_date(changelog, str(package.get("version"))), url)
    tables = {name: resource_rows(folders, package, name, memo) for name in TABLES}
    page = make_page(release, downloads(folders, package), tables)
    return {
        "index.html": render_html(page).encode("utf-8"),
        "README.md": render_readme(page).encode("utf-8"),
    }


def write_site(published: Path, url: str = "") -> list[Path]:
    """Write index.html and README.md into the published folder."""
    written = []
    for name, data in build_site(published, url).items():
        path = Path(published) / name
        path.write_bytes(data)
        written.append(path)
    return written
