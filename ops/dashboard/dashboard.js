// The Predis dashboard: polls the admin port's /api endpoints every two seconds and draws
// SVG line charts (no external libraries: the page must work on a machine with no internet).
// Each chart records what it drew in data-* attributes (data-points, data-series), which the
// headless-browser test reads back.
"use strict";

const POLL_MS = 2000;
const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = ["#2f6fdf", "#e0642b", "#2a9d55", "#9b4dca", "#c9a227"];
let token = sessionStorage.getItem("predis-admin-token");

async function fetchJSON(path) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const response = await fetch(path, { headers, cache: "no-store" });
  if (response.status === 401) {
    token = window.prompt("Admin token (admin-token)") || "";
    sessionStorage.setItem("predis-admin-token", token);
    throw new Error("admin token required");
  }
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

function el(name, attrs, parent, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function human(value) {
  const abs = Math.abs(value);
  if (abs >= 1e9) return (value / 1e9).toFixed(1) + "G";
  if (abs >= 1e6) return (value / 1e6).toFixed(1) + "M";
  if (abs >= 1e3) return (value / 1e3).toFixed(1) + "k";
  return abs >= 10 || value === 0 ? value.toFixed(0) : value.toPrecision(2);
}

function clock(seconds) {
  return new Date(seconds * 1000).toTimeString().slice(0, 5);
}

// series: [{name, points: [[x, y], ...], band: [[x, low, high], ...], dashed}]
function lineChart(svg, series, opts) {
  svg.replaceChildren();
  const width = svg.clientWidth || 600, height = svg.clientHeight || 220;
  const pad = { left: 48, right: 12, top: 18, bottom: 22 };
  const points = series.flatMap((s) => s.points);
  svg.dataset.points = String(points.length);
  svg.dataset.series = series.filter((s) => s.points.length).map((s) => s.name).join(",");
  if (!points.length) {
    el("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, svg,
       opts.empty || "waiting for data");
    return;
  }
  const tx = opts.xLog ? Math.log2 : (x) => x;
  const xs = points.map((p) => tx(p[0]));
  const ys = points.map((p) => p[1]).concat(series.flatMap((s) => (s.band || []).flatMap((b) => [b[1], b[2]])));
  const xMin = Math.min(...xs), xMax = Math.max(...xs);
  const yMin = opts.yMin !== undefined ? opts.yMin : Math.min(0, ...ys);
  const yMax = opts.yMax !== undefined ? opts.yMax : Math.max(...ys) * 1.1 || 1;
  const sx = (x) => pad.left + (xMax === xMin ? 0.5 : (tx(x) - xMin) / (xMax - xMin)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - (y - yMin) / (yMax - yMin || 1) * (height - pad.top - pad.bottom);
  el("line", { x1: pad.left, y1: sy(yMin), x2: width - pad.right, y2: sy(yMin), class: "axis" }, svg);
  el("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: sy(yMin), class: "axis" }, svg);
  for (const y of [yMin, (yMin + yMax) / 2, yMax]) {
    el("text", { x: pad.left - 4, y: sy(y) + 4, "text-anchor": "end" }, svg, (opts.yFormat || human)(y));
  }
  const xFormat = opts.xFormat || clock;
  const untx = opts.xLog ? (x) => 2 ** x : (x) => x;
  el("text", { x: pad.left, y: height - 6 }, svg, xFormat(untx(xMin)));
  el("text", { x: width - pad.right, y: height - 6, "text-anchor": "end" }, svg, xFormat(untx(xMax)));
  series.forEach((s, i) => {
    const color = s.color || COLORS[i % COLORS.length];
    if (s.band && s.band.length) {
      const upper = s.band.map((b) => `${sx(b[0])},${sy(b[2])}`);
      const lower = s.band.slice().reverse().map((b) => `${sx(b[0])},${sy(b[1])}`);
      el("polygon", { points: upper.concat(lower).join(" "), fill: color, "fill-opacity": 0.15 }, svg);
    }
    if (s.points.length) {
      el("polyline", { points: s.points.map((p) => `${sx(p[0])},${sy(p[1])}`).join(" "),
                       fill: "none", stroke: color, "stroke-width": 2,
                       "stroke-dasharray": s.dashed ? "5,4" : "none" }, svg);
    }
    el("text", { x: pad.left + 8 + i * 120, y: 12, fill: color }, svg, s.name);
  });
  for (const marker of opts.markers || []) {
    el("line", { x1: sx(marker.x), y1: pad.top, x2: sx(marker.x), y2: sy(yMin), stroke: "#888",
                 "stroke-dasharray": "2,3" }, svg);
    el("text", { x: sx(marker.x) + 3, y: pad.top + 10 }, svg, marker.label);
  }
}

function table(node, rows) {
  node.replaceChildren();
  node.dataset.rows = String(rows.length);
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const cell of row) {
      const td = document.createElement("td");
      td.textContent = cell === null || cell === undefined ? "" : String(cell);
      tr.appendChild(td);
    }
    node.appendChild(tr);
  }
}

const series = (samples, field) => samples.filter((s) => s[field] !== null && s[field] !== undefined)
  .map((s) => [s.time, s[field]]);

function drawHistory(history) {
  const secs = history.seconds;
  lineChart(document.getElementById("chart-ops"), [{ name: "ops/s", points: series(secs, "ops_per_sec") }], {});
  lineChart(document.getElementById("chart-hit"), [{ name: "hit ratio", points: series(secs, "hit_ratio") }],
            { yMin: 0, yMax: 1, empty: "no lookups yet" });
  const latency = secs.filter((s) => s.latency_usec);
  lineChart(document.getElementById("chart-latency"), ["p50", "p99", "p99.9"].map((p) => ({
    name: p, points: latency.map((s) => [s.time, s.latency_usec[p]]) })), {});
  const memory = [{ name: "used_memory", points: series(secs, "used_memory") }];
  const limit = secs.filter((s) => s.maxmemory > 0);
  if (limit.length) memory.push({ name: "maxmemory", points: series(limit, "maxmemory"), dashed: true });
  lineChart(document.getElementById("chart-memory"), memory, {});

  const forecast = history.forecast;
  const past = series(history.minutes, "hit_ratio");
  const ahead = forecast.points.map((p) => [p.time, p.hit_ratio]);
  lineChart(document.getElementById("chart-forecast"), [
    { name: "per minute", points: past.length ? past : series(secs, "hit_ratio") },
    { name: "forecast", points: ahead, band: forecast.points.map((p) => [p.time, p.low, p.high]), dashed: true },
  ], { yMin: 0, yMax: 1, xFormat: (t) => new Date(t * 1000).toISOString().slice(5, 16).replace("T", " "),
       markers: [{ x: history.now, label: "now" }] });
  document.getElementById("forecast-note").textContent = forecast.method === "none"
    ? "Not enough history for a forecast yet."
    : `Method: ${forecast.method}, fitted to ${forecast.basis_points} ${forecast.basis} of history; band: 95%.`;
}

function drawMRC(mrc, info) {
  const svg = document.getElementById("chart-mrc");
  const note = document.getElementById("mrc-note");
  if (!mrc) {
    lineChart(svg, [], { empty: "no miss-ratio curve yet (the ML sidecar computes one every few minutes)" });
    note.textContent = "";
    return;
  }
  const policies = Object.keys(mrc).filter((k) => Array.isArray(mrc[k]) && k !== "sizes" && k !== "factors");
  lineChart(svg, policies.map((policy) => ({
    name: policy, points: mrc.factors.map((f, i) => [f, 1 - mrc[policy][i]]) })),
    { yMin: 0, yMax: 1, xLog: true, xFormat: (f) => f + "× memory", markers: [{ x: 1, label: "now" }] });
  const maxmemory = info.memory.maxmemory;
  note.textContent = `Predicted hit ratio at ${mrc.factors.join("×, ")}× the current cache` +
    (maxmemory ? ` (maxmemory ${human(maxmemory)}B)` : "") +
    `, from ${mrc.requests} sampled requests at rate ${mrc.rate}.`;
}

function drawModels(models, ab) {
  const rows = [["in use", models.in_use === null ? "(built-in)" : models.in_use]];
  for (const [alias, version] of Object.entries(models.aliases || {})) rows.push([alias, version === null ? "(none)" : version]);
  rows.push(["versions", (models.versions || []).length]);
  table(document.getElementById("models"), rows);
  const running = ab.running;
  table(document.getElementById("ab"), running ? [
    ["challenger", running.challenger], ["slice", running.slice_percent + "%"], ["phase", running.phase],
    ["hit ratio, A/A calibration (champion / challenger arm)",
     `${running.calibration_champion_hit_ratio.toFixed(4)} / ${running.calibration_challenger_hit_ratio.toFixed(4)}`],
    ["hit ratio, test (champion / challenger arm)",
     `${running.champion_hit_ratio.toFixed(4)} / ${running.challenger_hit_ratio.toFixed(4)}`],
    ["reads (champion / challenger arm)", `${running.champion_reads} / ${running.challenger_reads}`],
    ["effect (difference in differences)", running.effect.toFixed(4)], ["z", running.z.toFixed(2)],
    ["running", running.running_s + " s"],
  ] : [["no A/B test running"], ...(ab.finished || []).slice(-3).map((f) => ["finished", "version " + f.challenger, f.outcome])]);
}

function drawEvents(ml, drift) {
  const events = (ml.events || []).slice(-12).reverse().map((e) => [
    new Date(e.time * 1000).toISOString().slice(0, 19).replace("T", " "), e.event,
    Object.entries(e).filter(([k]) => k !== "time" && k !== "event").map(([k, v]) => `${k}=${v}`).join(" "),
  ]);
  const scores = drift.drift_scores ? Object.entries(drift.drift_scores)
    .map(([k, v]) => `${k} ${typeof v === "number" ? v.toFixed(3) : v}`).join(", ") : "";
  table(document.getElementById("events"), [["drift scores", scores || "(no window yet)",
    `windows ${drift.windows || 0}, detections ${(drift.drift_detections || []).length}`], ...events]);
}

async function refresh() {
  try {
    const [info, history, models, ab, ml, drift, mrc] = await Promise.all(
      ["/api/info", "/api/history", "/api/models", "/api/ab", "/api/ml", "/api/drift", "/api/mrc"].map(fetchJSON));
    document.getElementById("server").textContent =
      `v${info.server.redis_version} · ${info.replication.role} · up ${info.server.uptime_in_seconds}s · ` +
      `${info.stats.instantaneous_ops_per_sec} ops/s`;
    drawHistory(history);
    drawMRC(mrc, info);
    drawModels(models, ab);
    drawEvents(ml, drift);
    const updated = document.getElementById("updated");
    updated.dataset.updates = String(Number(updated.dataset.updates) + 1);
    updated.textContent = "updated " + new Date().toTimeString().slice(0, 8);
  } catch (error) {
    document.getElementById("updated").textContent = "error: " + error.message;
  }
}

refresh();
setInterval(refresh, POLL_MS);
