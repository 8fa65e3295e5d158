"""The landing page's sections, as HTML. Each returns '' when it would be empty (then the page
leaves it out, and its link in the menu too). Cells and text are escaped here."""

from __future__ import annotations

import html
import json
import re
from itertools import groupby
from pathlib import Path

from pipeline.dataset.site_data import Page, Release

ASSETS = Path(__file__).resolve().parent / "site_assets"
e = html.escape


def section(ident: str, title: str, body: str) -> str:
    """A section of the page, or nothing when it would be empty."""
    return f'<section id="{ident}">\n<h2>{e(title)}</h2>\n{body}\n</section>' if body else ""


def table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """An HTML table of already escaped cells, or nothing without rows."""
    if not rows:
        return ""
    cells = "".join(f"<th>{h}</th>" for h in head)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table>\n<thead><tr>{cells}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def size(n: float) -> str:
    """A file size for people: '912 bytes', '1.4 MB'."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def authors(package: dict) -> str:
    """The contributors, as one line."""
    return "; ".join(c.get("title", "") for c in package.get("contributors", []))


def licences(package: dict) -> str:
    """The licences' names, as one line."""
    return ", ".join(lic["name"] for lic in package.get("licenses", []))


def citation(package: dict, date: str | None, url: str = "") -> str:
    """How to cite the release, as one sentence (the address last, when known)."""
    year = date[:4] if date else "n.d."
    return (
        f"{authors(package)} ({year}). {package.get('title', package['name'])}, version "
        f"{package.get('version')}{f' ({date})' if date else ''}. Dataset "
        f"'{package['name']}', licence {licences(package)}.{f' {url}' if url else ''}"
    )


def _bib(text: str) -> str:
    """Text safe inside a BibTeX field."""
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def bibtex(release: Release, url: str) -> str:
    """A BibTeX entry for the release (url as it should appear, unescaped)."""
    package, date = release.package, release.date
    fields = [
        ("author", "{" + _bib(authors(package)) + "}"),
        ("title", _bib(release.title)),
        ("year", date[:4] if date else ""),
        ("date", date or ""),
        ("version", _bib(release.version)),
        ("howpublished", "Dataset"),
        ("note", _bib(f"Licence {licences(package)}")),
        ("url", url),
    ]
    key = re.sub(r"[^A-Za-z0-9.-]", "-", f"{package['name']}-{release.version}")
    body = ",\n".join(f"  {k:<12} = {{{v}}}" for k, v in fields if v)
    return f"@misc{{{key},\n{body}\n}}"


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element, sorted so the bytes never vary."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def explore(page: Page) -> str:
    """The explorer: choose a mission and an indicator, see its chart, table and sources."""
    if not page.explorer["missions"]:
        return ""
    template = (ASSETS / "explore.html").read_text(encoding="utf-8")
    script = (ASSETS / "explore.js").read_text(encoding="utf-8")
    parts = {"data": _script_json(page.explorer), "script": script.replace("</", "<\\/")}
    return re.sub(r"\{(data|script)\}", lambda m: parts[m.group(1)], template).strip()


def missions(page: Page) -> str:
    """Every mission with its coverage: reports, years, indicators with values."""
    rows = []
    for m in page.missions:
        code = f'<strong class="code">{e(m.code)}</strong>'
        if m.indicators:
            code = f'<a href="#explore" data-mission="{e(m.code)}">{code}</a>'
        years = f"{m.first_year}–{m.last_year}" if m.first_year != m.last_year else m.first_year
        reports = f"{m.reports} report{'s' if m.reports != 1 else ''}"
        names = ", ".join(page.explorer["indicators"][c]["name"] for c in m.indicators)
        rows.append(
            (
                f"{code}<br>{e(m.name)}",
                f"{reports}{', ' + e(years) if years else ''}",
                f"{len(m.indicators)}{': <small>' + e(names) + '</small>' if names else ''}",
            )
        )
    body = table(("Mission", "Reports and years", "Indicators with values"), rows)
    intro = "<p>Every mission with a report in this release. Choose a code to explore it.</p>"
    return f"{intro}\n{body}" if body else ""


def coverage(row: dict) -> str:
    """An indicator's coverage in this release, in words (from indicators.csv)."""
    n = int(row.get("observations") or 0)
    if not n:
        return "no values in this release"
    text = f"{n} values for {row.get('subjects')}, {row.get('first_period')} to "
    text += str(row.get("last_period"))
    if int(row.get("undated_left_out") or 0):
        text += f"; {row['undated_left_out']} undated figures left out"
    return text


def indicators(page: Page) -> str:
    """One entry per indicator of the codelist: definition, unit, coverage, accuracy."""
    out = []
    for row in sorted(page.indicators, key=lambda r: r["indicator"]):
        info = page.explorer["indicators"][row["indicator"]]
        items = [
            ("Definition", info["description"]),
            ("Unit", "; ".join(x for x in (info["unit"], info["periodicity"]) if x)),
            ("Coverage", coverage(row)),
            ("Measured accuracy", info["accuracy"]),
            ("Limitations", info["limitations"]),
        ]
        terms = "".join(f"<dt>{k}</dt><dd>{e(v)}</dd>" for k, v in items if v)
        out.append(
            f'<details id="indicator-{e(row["indicator"].lower())}"><summary>'
            f"{e(info['name'])} <code>{e(row['indicator'])}</code></summary>"
            f'<dl class="about">{terms}</dl></details>'
        )
    return "\n".join(out)


def downloads(page: Page) -> str:
    """Every file of the package, with its size and sha256."""
    rows = [
        (
            f'<a href="{e(f.path)}">{e(f.path)}</a>'
            + (f'<br><code class="hash">sha256 {e(f.sha256)}</code>' if f.sha256 else ""),
            e(f.description),
            size(f.size),
        )
        for f in page.files
    ]
    body = table(("File", "What it holds", "Size"), rows)
    return (
        f'{body}\n<p>The package descriptor: <a href="datapackage.json">datapackage.json</a>'
        " (a Frictionless Data Package: every table's columns, keys and checksums).</p>"
        if body
        else ""
    )


def reports(page: Page) -> str:
    """Every report read, by mission, each linked to the UN's copy of it."""
    out = []
    for mission, group in groupby(page.reports, key=lambda r: r.mission):
        items = []
        for r in group:
            label = f'<a href="{e(r.url)}">{e(r.symbol)}</a>' if r.url else e(r.document_id)
            items.append(f"<li>{label}{', ' + e(r.date) if r.date else ''}: {e(r.title)}</li>")
        out.append(
            f"<details><summary>{e(mission)}: {len(items)} report"
            f"{'s' if len(items) != 1 else ''}</summary><ul>{''.join(items)}</ul></details>"
        )
    intro = "<p>Each report links to its English PDF in the UN Official Document System.</p>"
    return intro + "\n" + "\n".join(out) if out else ""


def cite(page: Page) -> str:
    """How to cite the release: address, version, date, a sentence and BibTeX."""
    release = page.release
    where = '<span class="page-url">the address of this page</span>'
    address = f'<a href="{e(release.url)}">{e(release.url)}</a>' if release.url else where
    bib = e(bibtex(release, release.url or "@URL@")).replace("@URL@", where)
    sentence = f"{e(citation(release.package, release.date))} {address}"
    return (
        f'<dl class="about"><dt>Address</dt><dd>{address}</dd>'
        f"<dt>Version</dt><dd>{e(release.version)}</dd>"
        f"<dt>Released</dt><dd>{e(release.date or 'not dated in the changelog')}</dd></dl>"
        f'<p>{sentence}</p>\n<pre id="bibtex">{bib}</pre>'
    )


def licence(page: Page) -> str:
    """The licences, linked."""
    return ", ".join(
        f'<a href="{e(lic.get("path", ""))}">{e(lic.get("title", lic["name"]))}</a>'
        for lic in page.release.package.get("licenses", [])
    )


def _rounded(value: str) -> str:
    """A measure as people read it: 0.9467193747728099 as 0.947, 131 as 131."""
    try:
        return f"{float(value):.3g}" if "." in value else value
    except ValueError:
        return value


def accuracy(page: Page) -> str:
    """The extraction's measured accuracy on hand-made gold sets."""
    rows = [
        (f'<span class="code">{e(r["document_id"])}</span>', f"<code>{e(r['measure'])}</code>",
         e(_rounded(r["value"])))
        for r in page.accuracy
    ]  # fmt: skip
    body = table(("Report", "Measure", "Value"), rows)
    return (
        "<p>How well every number was read, on reports with a hand-made gold set.</p>\n" + body
        if body
        else ""
    )


def dictionary(page: Page) -> str:
    """Every table's columns, from the package's schemas."""
    out, seen = [], set()
    for res in page.release.package.get("resources", []):
        name, fields = res["name"].removesuffix("-parquet"), res.get("schema", {}).get("fields")
        if name in seen or not fields:
            continue
        seen.add(name)
        rows = [(f"<code>{e(f['name'])}</code>", e(f.get("type", "")),
                 e(f.get("description", ""))) for f in fields]  # fmt: skip
        out.append(
            f"<details><summary><code>{e(name)}</code></summary><p>"
            f"{e(res.get('description', ''))}</p>{table(('Column', 'Type', 'Meaning'), rows)}"
            "</details>"
        )
    return "\n".join(out)


def changelog(page: Page) -> str:
    """The changelog's Markdown (headings, list items, paragraphs) as HTML."""
    out, in_list = [], False
    for line in page.release.changelog.splitlines():
        if line.startswith("- ") != in_list:
            out.append("<ul>" if not in_list else "</ul>")
            in_list = not in_list
        if m := re.match(r"^(#+) (.*)", line):
            if len(m.group(1)) > 1:  # the file's own title is the section's
                level = min(len(m.group(1)) + 1, 6)
                out.append(f"<h{level}>{e(m.group(2))}</h{level}>")
        elif line.startswith("- "):
            out.append(f"<li>{e(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{e(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)
