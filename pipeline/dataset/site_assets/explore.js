// The landing page's explorer: choose a mission and an indicator, see its chart, table,
// definition, sources and a CSV of the series. Reads the JSON embedded in #explorer-data;
// draws a small SVG chart itself (no library, nothing fetched).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const col = Object.fromEntries(data.fields.map((f, i) => [f, i]));
  const byId = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const DAY = 86400000;
  const QUALIFIERS = {
    exact: "exactly", approximate: "about", more_than: "more than",
    less_than: "less than", at_least: "at least", up_to: "up to",
  };
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];
  const number = new Intl.NumberFormat("en-GB");
  const compact = new Intl.NumberFormat("en-GB", {notation: "compact", maximumFractionDigits: 1});
  const missionSelect = byId("mission");
  const indicatorSelect = byId("indicator");
  let csvUrl = null;

  function el(tag, attrs, text) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A date or period (ISO 8601: 2007, 2007-01, 2007-01-26 or start/end) as [start, end] in ms.
  function span(period) {
    const parts = period.split("/");
    const edge = (text, last) => {
      const [y, m, d] = text.split("-").map(Number);
      if (!m) return Date.UTC(y + (last ? 1 : 0), 0, 1) - (last ? DAY : 0);
      if (!d) return Date.UTC(y, m - (last ? 0 : 1), 1) - (last ? DAY : 0);
      return Date.UTC(y, m - 1, d);
    };
    return [edge(parts[0], false), edge(parts[parts.length - 1], true)];
  }

  // "2007-01-26" as "26 January 2007" (short: "26 Jan 2007"); a period as "start to end".
  function readable(period, short) {
    const day = (text) => {
      const [y, m, d] = text.split("-").map(Number);
      if (!m) return String(y);
      const month = short ? MONTHS[m - 1].slice(0, 3) : MONTHS[m - 1];
      return (d ? d + " " : "") + month + " " + y;
    };
    return period.split("/").map(day).join(short ? " –\n" : " to ");
  }

  function stated(row) {
    const q = row[col.qualifier];
    const value = number.format(Number(row[col.value]));
    const upper = row[col.value_max] ? "–" + number.format(Number(row[col.value_max])) : "";
    return (q && q !== "exact" ? (QUALIFIERS[q] || q) + " " : "") + value + upper;
  }

  function niceStep(range, ticks) {
    const rough = range / Math.max(ticks, 1);
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    return [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= rough) || rough;
  }

  function reportLink(id) {
    const report = data.reports[id] || {symbol: "", url: "", title: id};
    const label = report.symbol || id;
    return report.url ? el("a", {href: report.url}, label) : el("span", {}, label);
  }

  function axes(svg, box, x, y, years, yTicks, unit) {
    for (const v of yTicks) {
      svg.append(el("svg:line", {class: "grid", x1: box.left, x2: box.right, y1: y(v), y2: y(v)}));
      svg.append(el("svg:text", {class: "tick", x: box.left - 6, y: y(v) + 4,
        "text-anchor": "end"}, compact.format(v)));
    }
    for (const year of years) {
      const at = x(Date.UTC(year, 0, 1));
      svg.append(el("svg:line", {class: "axis", x1: at, x2: at, y1: box.bottom, y2: box.bottom + 5}));
      svg.append(el("svg:text", {class: "tick", x: at, y: box.bottom + 18,
        "text-anchor": "middle"}, String(year)));
    }
    svg.append(el("svg:line", {class: "axis", x1: box.left, x2: box.right,
      y1: box.bottom, y2: box.bottom}));
    svg.append(el("svg:text", {class: "unit", x: 4, y: 12}, unit));
  }

  function scales(rows, width, height) {
    const spans = rows.map((r) => span(r[col.period]));
    let lo = Math.min(...spans.map((s) => s[0]));
    let hi = Math.max(...spans.map((s) => s[1]));
    const pad = Math.max((hi - lo) * 0.04, 180 * DAY);
    lo -= pad; hi += pad;
    const top = Math.max(...rows.map((r) => Number(r[col.value_max] || r[col.value]))) || 1;
    const step = niceStep(top, 4);
    const yMax = Math.ceil(top / step) * step;
    const box = {left: 52, right: width - 12, top: 22, bottom: height - 26};
    const x = (t) => box.left + (t - lo) / (hi - lo) * (box.right - box.left);
    const y = (v) => box.bottom - v / yMax * (box.bottom - box.top);
    const first = new Date(lo).getUTCFullYear() + 1, last = new Date(hi).getUTCFullYear();
    const every = Math.max(1, Math.ceil((last - first + 1) / Math.max(2, (width - 80) / 48)));
    const years = [];
    for (let yr = first; yr <= last; yr++) if ((yr - first) % every === 0) years.push(yr);
    const yTicks = [];
    for (let v = 0; v <= yMax + step / 2; v += step) yTicks.push(v);
    return {spans, box, x, y, years, yTicks};
  }

  function drawChart(rows, unit) {
    const holder = byId("chart");
    const width = Math.max(280, Math.min(holder.clientWidth || 640, 900));
    const height = 260;
    const svg = el("svg:svg", {viewBox: `0 0 ${width} ${height}`, width: width, height: height,
      role: "img", "aria-labelledby": "series-title"});
    const {spans, box, x, y, years, yTicks} = scales(rows, width, height);
    axes(svg, box, x, y, years, yTicks, unit);
    const points = rows.map((r, i) => [x(spans[i][1]), y(Number(r[col.value]))]);
    if (points.length > 1) {
      const d = points.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1));
      svg.append(el("svg:path", {class: "line", d: d.join(" ")}));
    }
    rows.forEach((r, i) => {
      const [cx, cy] = points[i];
      if (spans[i][1] - spans[i][0] > DAY) {
        svg.append(el("svg:line", {class: "period", x1: x(spans[i][0]), x2: cx, y1: cy, y2: cy}));
      }
      if (r[col.value_max]) {
        svg.append(el("svg:line", {class: "range", x1: cx, x2: cx, y1: cy,
          y2: y(Number(r[col.value_max]))}));
      }
      const exact = r[col.qualifier] === "exact";
      const dot = el("svg:circle", {class: exact ? "point" : "point qualified",
        cx: cx.toFixed(1), cy: cy.toFixed(1), r: 4.5});
      const report = data.reports[r[col.document_id]] || {};
      dot.append(el("svg:title", {}, `${readable(r[col.period])}: ${stated(r)} ` +
        `(${report.symbol || r[col.document_id]})`));
      svg.append(dot);
    });
    holder.replaceChildren(svg);
  }

  function fillTable(rows) {
    const body = byId("series-rows");
    body.replaceChildren(...rows.map((r) => {
      const tr = el("tr");
      tr.append(el("td", {}, readable(r[col.period], true)), el("td", {class: "num"}, stated(r)));
      const cell = el("td");
      cell.append(reportLink(r[col.document_id]));
      tr.append(cell, el("td", {}, data.reasons[r[col.shown_because]]));
      return tr;
    }));
  }

  function fillAbout(code) {
    const info = data.indicators[code];
    byId("about-definition").textContent = info.description || "No definition recorded.";
    byId("about-unit").textContent = [info.unit, info.periodicity].filter(Boolean).join("; ");
    byId("about-accuracy").textContent = info.accuracy;
    byId("about-limitations").textContent = info.limitations || "None recorded.";
  }

  function fillSources(rows) {
    const ids = new Set();
    for (const r of rows) for (const id of sources(r).split(";")) ids.add(id.trim());
    const list = byId("series-sources");
    const date = (id) => (data.reports[id] || {}).date || "";
    const order = (a, b) => (date(a) + a < date(b) + b ? -1 : 1);
    list.replaceChildren(...[...ids].filter(Boolean).sort(order).map((id) => {
      const report = data.reports[id] || {date: "", title: id};
      const li = el("li");
      li.append(reportLink(id), document.createTextNode(
        (report.date ? ", " + readable(report.date) : "") + ": " + report.title));
      return li;
    }));
  }

  function sources(row) {
    return row[col.sources] || row[col.document_id];
  }

  // A row as in data/series.csv: what the embedded row leaves out is its report's.
  function csvValue(mission, code, row, name) {
    if (name === "indicator") return code;
    if (name === "subject") return mission;
    if (name === "sources") return sources(row);
    if (name === "shown_because") return data.reasons[row[col.shown_because]];
    if (name === "date_issued") {
      return row[col.date_issued] || (data.reports[row[col.document_id]] || {}).date || "";
    }
    return String(row[col[name]]);
  }

  function csvText(mission, code, rows) {
    const quote = (v) => (/[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
    const lines = [data.csv.join(",")];
    for (const r of rows) {
      lines.push(data.csv.map((name) => quote(csvValue(mission, code, r, name))).join(","));
    }
    return lines.join("\n") + "\n";
  }

  function fillDownload(mission, code, rows) {
    if (csvUrl) URL.revokeObjectURL(csvUrl);
    csvUrl = URL.createObjectURL(new Blob([csvText(mission, code, rows)], {type: "text/csv"}));
    const link = byId("series-csv");
    link.href = csvUrl;
    link.download = `${mission}-${code}.csv`.replace(/[^A-Za-z0-9_.-]/g, "_");
    const values = rows.length === 1 ? "1 value" : `${rows.length} values`;
    link.textContent = `Download this series as CSV (${values})`;
  }

  function render() {
    const mission = missionSelect.value, code = indicatorSelect.value;
    const rows = data.series[mission][code];
    const info = data.indicators[code];
    const name = data.missions.find((m) => m.code === mission).name;
    byId("series-title").textContent = `${info.name}: ${mission} (${name})`;
    drawChart(rows, info.unit);
    fillTable(rows);
    fillAbout(code);
    fillSources(rows);
    fillDownload(mission, code, rows);
  }

  function chooseMission(code, indicator) {
    const mission = data.missions.find((m) => m.code === code) || data.missions[0];
    missionSelect.value = mission.code;
    indicatorSelect.replaceChildren(...mission.indicators.map((c) =>
      el("option", {value: c}, (data.indicators[c] || {name: c}).name)));
    indicatorSelect.value = mission.indicators.includes(indicator) ? indicator : mission.default;
    render();
  }

  function start() {
    missionSelect.replaceChildren(...data.missions.map((m) =>
      el("option", {value: m.code}, `${m.code}: ${m.name}`)));
    missionSelect.addEventListener("change", () => chooseMission(missionSelect.value));
    indicatorSelect.addEventListener("change", render);
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-mission]");
      if (link) chooseMission(link.dataset.mission);
    });
    let resizing = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(render, 150);
    });
    const pageUrl = location.href.split("#")[0];
    for (const node of document.querySelectorAll(".page-url")) node.textContent = pageUrl;
    byId("explorer").hidden = false;
    chooseMission(data.first);
  }

  // The script sits in the explorer's section: the rest of the page is read after it.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
