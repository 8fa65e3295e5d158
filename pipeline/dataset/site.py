"""The landing page: published/index.html and published/README.md, generated from the package.

Everything on them is read from the published folder (datapackage.json, CHANGELOG.md and the
data files), so the same package gives the same bytes. The charts are Vega-Lite specs made with
altair; the vega, vega-lite and vega-embed JavaScript is embedded inline (from vl-convert), so
the page works offline.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.dataset.shards import resource_paths, shard_entries

MAX_CHARTS = 8
MIN_POINTS = 3  # a series is charted when it has at least this many dates
SYMBOL_URL = "https://undocs.org/{symbol}"


@dataclass(frozen=True)
class Download:
    """One file of the package."""

    path: str
    title: str
    description: str
    size: int
    sha256: str


def _read_csv(path: Path) -> list[dict]:
    """A published CSV's rows; no field is too long to read (a long one never blocks a release)."""
    if not path.exists():
        return []
    csv.field_size_limit(2**31 - 1)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _located(folders: list[Path], path: str) -> Path:
    """A published file: in the first folder holding it (a release's new files are staged)."""
    return next((f / path for f in folders if (f / path).exists()), folders[-1] / path)


def resource_rows(folders: list[Path], package: dict, name: str) -> list[dict]:
    """Every row of a CSV resource, from all its files (shards) in order."""
    for res in package.get("resources", []):
        if res.get("name") == name and res.get("format") == "csv":
            return [r for p in resource_paths(res) for r in _read_csv(_located(folders, p))]
    return []


def downloads(folders: list[Path], package: dict) -> list[Download]:
    """Every resource of the package with its size and sha256 (as the descriptor records it);
    a sharded one by its first file, with the number of files (the descriptor lists them all)."""
    out = []
    for res in package.get("resources", []):
        entries = shard_entries(res)
        if not entries:
            continue
        size = sum(e.get("bytes") or _located(folders, e["path"]).stat().st_size for e in entries)
        title = res.get("title", res["name"])
        if len(entries) > 1:
            title += f", {len(entries)} files listed in datapackage.json"
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


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def release_date(changelog: str, version: str) -> str | None:
    """The date of a version's changelog entry ('## 1.2.0 (2026-05-04)' or '## 1.2.0 - date')."""
    m = re.search(rf"^## {re.escape(version)}\b.*?(\d{{4}}-\d{{2}}-\d{{2}})", changelog, re.M)
    return m.group(1) if m else None


def citation(package: dict, date: str | None) -> str:
    """How to cite the release."""
    authors = "; ".join(c.get("title", "") for c in package.get("contributors", []))
    year = date[:4] if date else "n.d."
    return (
        f"{authors} ({year}). {package.get('title', package['name'])}, version "
        f"{package.get('version')}{f' ({date})' if date else ''}. Dataset "
        f"'{package['name']}', licence "
        f"{', '.join(lic['name'] for lic in package.get('licenses', []))}."
    )


def source_links(package: dict, documents: list[dict]) -> list[tuple[str, str | None]]:
    """(title, URL) for each source: the UN document system's address of its first symbol."""
    by_file = {d.get("source_file"): d for d in documents}
    out = []
    for src in package.get("sources", []):
        doc = by_file.get(Path(src.get("path", "")).name, {})
        symbol = (doc.get("symbols") or "").split(";")[0].strip()
        url = src.get("url") or (SYMBOL_URL.format(symbol=symbol) if symbol else None)
        out.append((src.get("title", ""), url))
    return out


def chart_specs(series: list[dict], indicators: dict[str, dict]) -> list[dict]:
    """Vega-Lite line charts (via altair) of the series with the most dates."""
    import altair as alt
    import pandas as pd

    groups: dict[tuple[str, str], list[dict]] = {}
    for row in series:
        groups.setdefault((row["indicator"], row["subject"]), []).append(row)
    ranked = sorted(
        (g for g in groups.items() if len({r["period"] for r in g[1]}) >= MIN_POINTS),
        key=lambda g: (-len(g[1]), g[0]),
    )
    specs = []
    for (code, subject), rows in ranked[:MAX_CHARTS]:
        frame = pd.DataFrame(
            {
                # a period's end places it on the time axis ("2007-07-01/2008-06-30": 30 June 2008)
                "date": [str(r["period"]).split("/")[-1] for r in rows],
                "period": [r["period"] for r in rows],
                "value": [float(r["value"]) for r in rows],
                "report": [r["document_id"] for r in rows],
            }
        ).sort_values("date")
        name = indicators.get(code, {}).get("name", code)
        unit = rows[0].get("unit", "")
        chart = (
            alt.Chart(frame, title=f"{name}, {subject} ({unit})")
            .mark_line(point=True)
            .encode(
                x=alt.X("date:T", title="Reference date"),
                y=alt.Y("value:Q", title=unit),
                tooltip=["period:N", "value:Q", "report:N"],
            )
            .properties(width="container", height=220)
        )
        specs.append(
            {
                "id": f"chart-{code}-{subject}".lower(),
                "title": f"{name}, {subject}",
                "spec": chart.to_dict(),
            }
        )
    return specs


def _markdown_to_html(text: str) -> str:
    """The changelog's Markdown (headings, list items, paragraphs) as HTML."""
    out, in_list = [], False
    for line in text.splitlines():
        if line.startswith("- ") and not in_list:
            out.append("<ul>")
            in_list = True
        if not line.startswith("- ") and in_list:
            out.append("</ul>")
            in_list = False
        if m := re.match(r"^(#+) (.*)", line):
            level = min(len(m.group(1)) + 1, 6)
            out.append(f"<h{level}>{html.escape(m.group(2))}</h{level}>")
        elif line.startswith("- "):
            out.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _dictionary_rows(package: dict) -> list[tuple[str, str, list[dict]]]:
    """(table, description, fields) for each table, from the CSV resources' schemas."""
    seen, out = set(), []
    for res in package.get("resources", []):
        name = res["name"].removesuffix("-parquet")
        if name in seen:
            continue
        seen.add(name)
        out.append((name, res.get("description", ""), res.get("schema", {}).get("fields", [])))
    return out


@dataclass
class IndicatorCard:
    """What a person needs to know of one indicator: definition, coverage, measured accuracy."""

    code: str
    name: str
    unit: str
    description: str
    periodicity: str
    limitations: str
    coverage: str
    accuracy: str


def indicator_cards(indicators: list[dict], accuracy: list[dict]) -> list[IndicatorCard]:
    """One card per indicator of the codelist, its accuracy from indicator_accuracy.csv."""
    measured: dict[str, dict[str, str]] = {}
    for r in accuracy:
        measured.setdefault(r["indicator"], {})[r["measure"]] = r["value"]
    cards = []
    for r in indicators:
        n = int(r.get("observations") or 0)
        coverage = (
            f"{n} values for {r.get('subjects')}, {r.get('first_period')} to {r.get('last_period')}"
            if n
            else "no values in this release"
        )
        if int(r.get("undated_left_out") or 0):
            coverage += f"; {r['undated_left_out']} undated figures left out"
        m = measured.get(r["indicator"], {})
        parts = [
            f"{k.replace('_', ' ')} {float(m[k]):.2f}"
            for k in ("recall", "precision", "as_of_right")
            if m.get(k) not in (None, "")
        ]
        acc = (
            ", ".join(parts) + f" on {int(float(m['key_figures']))} hand-read figures"
            if parts
            else "not measured"
        )
        cards.append(
            IndicatorCard(
                r["indicator"],
                r["name"],
                r["unit"],
                r["description"],
                r.get("periodicity", ""),
                r.get("limitations", ""),
                coverage,
                acc,
            )
        )
    return cards


def _accuracy(evaluation: list[dict]) -> list[tuple[str, str, str]]:
    return [(r["document_id"], r["measure"], r["value"]) for r in evaluation]


def _vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one inline script (defines the global vegaEmbed).
    Building it takes vl-convert over a second, so it is kept in .cache/vega per version."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    version = vl_version_for_vl_convert()
    cache = Path(__file__).resolve().parents[2] / ".cache" / "vega"
    path = cache / f"vl-convert-{vlc.__version__}-vega-lite-{version}.js"
    try:  # kept with its length: a truncated copy is rebuilt, never served
        cached = path.read_text(encoding="utf-8")
        head, _, bundle = cached.partition("\n")
        if head == f"// {len(bundle)}":
            return bundle
    except (OSError, ValueError):
        pass
    bundle = vlc.javascript_bundle(vl_version=version)
    try:  # written aside and renamed, so a reader never sees half a bundle
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(f"// {len(bundle)}\n{bundle}", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only checkout just builds it each time
    return bundle


def render_html(
    package: dict,
    changelog: str,
    files: list[Download],
    sources: list[tuple[str, str | None]],
    accuracy: list[tuple[str, str, str]],
    charts: list[dict],
    date: str | None,
    bundle: str,
    cards: list[IndicatorCard] = (),
) -> str:
    """The landing page."""
    e = html.escape
    title = package.get("title", package["name"])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;"
        "line-height:1.45}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid "
        "#ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}code{font-size:.85rem}"
        ".chart{width:100%;margin:1rem 0}</style>",
        f"<script>{bundle}</script>" if charts else "",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        f"<p>Version <strong>{e(str(package.get('version')))}</strong>"
        f"{f', released {e(date)}' if date else ''}.</p>",
        f"<p>{e(package.get('description', ''))}</p>",
        '<nav><a href="#downloads">Downloads</a> · <a href="#charts">Charts</a> · '
        '<a href="#indicators">Indicators</a> · '
        '<a href="#sources">Sources</a> · <a href="#cite">Cite</a> · '
        '<a href="#accuracy">Accuracy</a> · <a href="#dictionary">Data dictionary</a> · '
        '<a href="#changelog">Changelog</a></nav>',
        '<h2 id="charts">Charts</h2>',
    ]
    if not charts:
        parts.append("<p>No series has enough dates to chart yet.</p>")
    for c in charts:
        parts.append(f'<div class="chart" id="{e(c["id"])}" aria-label="{e(c["title"])}"></div>')
    parts += ['<h2 id="indicators">Indicators</h2>']
    for c in cards:
        parts.append(
            f'<h3 id="indicator-{e(c.code.lower())}">{e(c.name)} '
            f"<code>{e(c.code)}</code></h3><p>{e(c.description)}</p><ul>"
            f"<li>Unit: {e(c.unit)}; periodicity: {e(c.periodicity)}</li>"
            f"<li>Coverage: {e(c.coverage)}</li>"
            f"<li>Measured accuracy: {e(c.accuracy)}</li>"
            f"<li>Limitations: {e(c.limitations)}</li></ul>"
        )
    parts += [
        '<h2 id="downloads">Downloads</h2>',
        "<table><tr><th>file</th><th>what</th><th>size</th><th>sha256</th></tr>",
    ]
    for f in files:
        parts.append(
            f'<tr><td><a href="{e(f.path)}">{e(f.path)}</a></td><td>{e(f.description)}'
            f"</td><td>{_size(f.size)}</td><td><code>{e(f.sha256)}</code></td></tr>"
        )
    parts += [
        "</table>",
        '<p>The package descriptor: <a href="datapackage.json">'
        "datapackage.json</a> (Frictionless Data Package).</p>",
        '<h2 id="sources">Sources</h2>',
        "<ul>",
    ]
    for name, url in sources:
        parts.append(f'<li><a href="{e(url)}">{e(name)}</a></li>' if url else f"<li>{e(name)}</li>")
    licences = ", ".join(
        f'<a href="{e(lic.get("path", ""))}">{e(lic.get("title", lic["name"]))}</a>'
        for lic in package.get("licenses", [])
    )
    parts += [
        "</ul>",
        f"<h2>Licence</h2><p>{licences}</p>",
        f'<h2 id="cite">How to cite</h2><p>{e(citation(package, date))}</p>',
        '<h2 id="accuracy">Measured accuracy</h2>',
    ]
    if accuracy:
        parts.append("<table><tr><th>report</th><th>measure</th><th>value</th></tr>")
        parts += [f"<tr><td>{e(d)}</td><td>{e(m)}</td><td>{e(v)}</td></tr>" for d, m, v in accuracy]
        parts.append("</table>")
    else:
        parts.append("<p>No report in this release has a hand-made gold set.</p>")
    parts.append('<h2 id="dictionary">Data dictionary</h2>')
    for name, desc, fields in _dictionary_rows(package):
        parts.append(
            f"<h3><code>{e(name)}</code></h3><p>{e(desc)}</p>"
            "<table><tr><th>column</th><th>type</th><th>description</th></tr>"
        )
        parts += [
            f"<tr><td><code>{e(f['name'])}</code></td><td>{e(f.get('type', ''))}</td>"
            f"<td>{e(f.get('description', ''))}</td></tr>"
            for f in fields
        ]
        parts.append("</table>")
    parts += ['<h2 id="changelog">Changelog</h2>', _markdown_to_html(changelog)]
    if charts:
        specs = json.dumps(
            [{"id": c["id"], "spec": c["spec"]} for c in charts], sort_keys=True, ensure_ascii=False
        ).replace("</", "<\\/")
        parts.append(
            "<script>\nconst charts = " + specs + ";\nfor (const c of charts) {\n"
            "  vegaEmbed('#' + c.id, c.spec, {actions: false, renderer: 'svg'})"
            ".catch(console.error);\n}\n</script>"
        )
    parts += ["</body>", "</html>", ""]
    return "\n".join(p for p in parts if p)


def render_readme(
    package: dict,
    files: list[Download],
    sources: list[tuple[str, str | None]],
    accuracy: list[tuple[str, str, str]],
    date: str | None,
) -> str:
    """published/README.md: what the dataset is, downloads, sources, licence, citation."""
    lines = [
        f"# {package.get('title', package['name'])}",
        "",
        f"Version {package.get('version')}{f', released {date}' if date else ''}.",
        "",
        package.get("description", ""),
        "",
        "Open `index.html` for charts, the data dictionary and the changelog.",
        "",
        "## Downloads",
        "",
        "| file | size | sha256 |",
        "| --- | --- | --- |",
    ]
    lines += [f"| [{f.path}]({f.path}) | {_size(f.size)} | `{f.sha256}` |" for f in files]
    lines += ["", "## Sources", ""]
    lines += [f"- [{name}]({url})" if url else f"- {name}" for name, url in sources]
    lines += ["", "## Licence", ""]
    lines += [
        f"- [{lic.get('title', lic['name'])}]({lic.get('path', '')})"
        for lic in package.get("licenses", [])
    ]
    lines += ["", "## How to cite", "", citation(package, date), "", "## Measured accuracy", ""]
    if accuracy:
        lines += ["| report | measure | value |", "| --- | --- | --- |"]
        lines += [f"| {d} | {m} | {v} |" for d, m, v in accuracy]
    else:
        lines.append("No report in this release has a hand-made gold set.")
    lines += ["", "See `CHANGELOG.md` for what changed in each release.", ""]
    return "\n".join(lines)


def build_site(published: Path, also: Path | None = None) -> dict[str, bytes]:
    """index.html and README.md for a published folder, as bytes (not written). also: the
    published folder a staged release's unchanged files are in."""
    published = Path(published)
    folders = [published, *([Path(also)] if also is not None else [])]
    package = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    log = published / "CHANGELOG.md"
    changelog = log.read_text(encoding="utf-8") if log.exists() else ""
    date = release_date(changelog, str(package.get("version")))
    files = downloads(folders, package)
    sources = source_links(package, resource_rows(folders, package, "documents"))
    accuracy = _accuracy(resource_rows(folders, package, "evaluation"))
    indicators = {r["indicator"]: r for r in resource_rows(folders, package, "indicators")}
    charts = chart_specs(resource_rows(folders, package, "series"), indicators)
    bundle = _vega_bundle() if charts else ""
    cards = indicator_cards(
        list(indicators.values()), resource_rows(folders, package, "indicator_accuracy")
    )
    page = render_html(package, changelog, files, sources, accuracy, charts, date, bundle, cards)
    readme = render_readme(package, files, sources, accuracy, date)
    return {"index.html": page.encode("utf-8"), "README.md": readme.encode("utf-8")}


def write_site(published: Path) -> list[Path]:
    """Write index.html and README.md into the published folder."""
    written = []
    for name, data in build_site(published).items():
        path = Path(published) / name
        path.write_bytes(data)
        written.append(path)
    return written
