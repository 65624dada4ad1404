import { createHash } from "node:crypto";

// The page's script: fetches `<page path>/data` every 2 s and renders it. Plain browser JavaScript (no
// build step); every value goes in through textContent, never as HTML.
const SCRIPT = `
"use strict";
const dataUrl = location.pathname.replace(/\\/+$/, "") + "/data";
const number = new Intl.NumberFormat("en-US");
const $ = (id) => document.getElementById(id);
const ms = (value) => (value === null || value === undefined ? "–" : value < 10 ? value.toFixed(1) : number.format(Math.round(value))) ;
const percent = (value) => (value === null || value === undefined ? "–" : (value * 100).toFixed(value === 0 ? 0 : 1) + " %");
const usd = (value) => "$" + (value === 0 ? "0" : value < 0.01 ? value.toFixed(6) : value.toFixed(4));
function set(id, text) { const element = $(id); if (element) element.textContent = text; }
function cell(row, text, field) {
  const td = document.createElement("td");
  td.textContent = text;
  if (field) td.dataset.field = field;
  row.appendChild(td);
}
function fill(tableId, rows, columns) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const row = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = columns.length;
    td.className = "empty";
    td.textContent = "nothing yet";
    row.appendChild(td);
    body.appendChild(row);
    return;
  }
  for (const item of rows) {
    const row = document.createElement("tr");
    row.dataset.name = item.name ?? item.endpoint ?? item.limit;
    for (const [field, format] of columns) cell(row, format(item[field], item), field);
    body.appendChild(row);
  }
}
function spark(series) {
  const svg = $("rps-chart");
  const width = 600, height = 80, top = Math.max(1, ...series);
  const step = series.length > 1 ? width / (series.length - 1) : width;
  const points = series.map((value, index) => (index * step).toFixed(1) + "," + (height - (value / top) * (height - 4) - 2).toFixed(1));
  svg.querySelector("polyline").setAttribute("points", points.join(" "));
  set("rps-peak", "peak " + number.format(top) + "/s");
}
const usageColumns = [
  ["name", String], ["requests", (v) => number.format(v)], ["errors", (v) => number.format(v)],
  ["inputTokens", (v) => number.format(v)], ["outputTokens", (v) => number.format(v)], ["cost", usd],
];
function render(data) {
  const requests = data.requests;
  set("requests-per-second", requests.perSecond.toFixed(requests.perSecond < 10 ? 1 : 0));
  set("requests-total", number.format(requests.total));
  set("requests-errors", number.format(requests.errors));
  set("in-flight", number.format(requests.inFlight));
  set("error-rate", percent(requests.errorRate));
  for (const [key, values] of [["latency", data.latencyMs], ["ttft", data.ttftMs]]) {
    set(key + "-p50", ms(values.p50));
    set(key + "-p95", ms(values.p95));
    set(key + "-p99", ms(values.p99));
    set(key + "-count", number.format(values.count) + " samples");
  }
  set("window", data.windowSeconds + " s window");
  spark(requests.series);
  fill("models", data.models, usageColumns);
  fill("principals", data.principals, usageColumns);
  fill("providers", data.providers, [
    ["name", String], ["attempts", (v) => number.format(v)], ["failures", (v) => number.format(v)],
    ["errorRate", percent], ["retries", (v) => number.format(v)], ["fallbacks", (v) => number.format(v)],
    ["hedges", (v) => number.format(v)],
  ]);
  fill("breakers", data.breakers, [
    ["endpoint", String], ["state", String], ["inFlight", (v) => number.format(v)],
    ["transitions", (v) => number.format(v)],
  ]);
  for (const row of $("breakers").querySelectorAll("td[data-field=state]")) row.className = "state-" + row.textContent;
  fill("limits", data.limits, [
    ["limit", String], ["allowed", (v) => number.format(v)], ["denied", (v) => number.format(v)],
  ]);
  set("updated", "updated " + new Date(data.generatedAt).toLocaleTimeString() + " · up " + data.uptimeSeconds + " s");
  document.body.dataset.loaded = "true";
}
async function refresh() {
  try {
    const response = await fetch(dataUrl, { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    render(await response.json());
    $("status").className = "live";
    set("status", "live");
  } catch (error) {
    $("status").className = "down";
    set("status", "no data: " + error.message);
  }
}
refresh();
setInterval(refresh, 2000);
`;

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --ink: #1c2230; --muted: #667085; --line: #e4e7ec;
  --accent: #2f6fed; --ok: #12805c; --warn: #b54708; --bad: #c01048; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1217; --card: #171b22; --ink: #e6e9ef; --muted: #98a2b3; --line: #2a303a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
header { display: flex; align-items: baseline; gap: 16px; padding: 16px 24px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
header .meta { color: var(--muted); }
#status { margin-left: auto; font-weight: 600; }
#status.live { color: var(--ok); } #status.down { color: var(--bad); }
main { padding: 16px 24px; display: grid; gap: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card, section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; }
.pcts { display: flex; gap: 14px; font-variant-numeric: tabular-nums; }
.pcts b { font-size: 18px; }
h2 { font-size: 14px; margin: 0 0 8px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; word-break: break-all; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.empty { text-align: center; color: var(--muted); }
.state-closed { color: var(--ok); } .state-half-open { color: var(--warn); } .state-open { color: var(--bad); font-weight: 700; }
svg { width: 100%; height: 80px; display: block; }
polyline { fill: none; stroke: var(--accent); stroke-width: 2; vector-effect: non-scaling-stroke; }
`;

function table(id: string, title: string, headings: readonly string[]): string {
  return `<section><h2>${title}</h2><table id="${id}"><thead><tr>${headings
    .map((heading) => `<th>${heading}</th>`)
    .join("")}</tr></thead><tbody></tbody></table></section>`;
}

const usageHeadings = ["name", "requests", "errors", "input tokens", "output tokens", "cost"];

/** The dashboard page: one static HTML document with its script and styles inline. */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Switchyard</h1><span class="meta" id="window"></span><span class="meta" id="updated"></span><span id="status">loading…</span></header>
<main>
<div class="cards">
  <div class="card"><div class="label">Requests / s</div><div class="value" id="requests-per-second">–</div><div class="sub">last 10 s</div></div>
  <div class="card"><div class="label">In flight</div><div class="value" id="in-flight">–</div><div class="sub">requests and streams</div></div>
  <div class="card"><div class="label">Requests</div><div class="value" id="requests-total">–</div><div class="sub"><span id="requests-errors">–</span> failed since start</div></div>
  <div class="card"><div class="label">Error rate</div><div class="value" id="error-rate">–</div><div class="sub">over the window</div></div>
  <div class="card"><div class="label">Latency (ms)</div><div class="pcts"><span>p50 <b id="latency-p50">–</b></span><span>p95 <b id="latency-p95">–</b></span><span>p99 <b id="latency-p99">–</b></span></div><div class="sub" id="latency-count"></div></div>
  <div class="card"><div class="label">Time to first token (ms)</div><div class="pcts"><span>p50 <b id="ttft-p50">–</b></span><span>p95 <b id="ttft-p95">–</b></span><span>p99 <b id="ttft-p99">–</b></span></div><div class="sub" id="ttft-count"></div></div>
</div>
<section><h2>Requests per second <span class="meta" id="rps-peak"></span></h2><svg id="rps-chart" viewBox="0 0 600 80" preserveAspectRatio="none"><polyline points=""></polyline></svg></section>
<div class="grid2">
${table("models", "Tokens and cost per model", usageHeadings)}
${table("principals", "Tokens and cost per key", usageHeadings)}
${table("providers", "Providers", ["provider", "attempts", "failed", "error rate", "retries", "fallbacks", "hedges"])}
${table("breakers", "Circuit breakers", ["endpoint", "state", "in flight", "changes"])}
${table("limits", "Rate limits", ["limit", "allowed", "denied"])}
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * The Content-Security-Policy the page is served with: nothing but its own inline script (by hash) and
 * styles, and fetches to its own origin.
 */
export const dashboardContentSecurityPolicy = `default-src 'none'; script-src 'sha256-${createHash("sha256")
  .update(SCRIPT)
  .digest(
    "base64",
  )}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
