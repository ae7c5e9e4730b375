// sigtrack's dashboard: every number comes from the API as it is (the same JSON as the
// CLI's --json) and is only formatted here, the way core/texts.py format_pct does; times
// are shown as the API sends them, already in the display zone.
"use strict";

const params = new URLSearchParams(location.search);
const state = { days: null, since: null, until: null, texts: {}, charts: [] };
const NO_VALUE = "—";

// --- the token: ?token=… once, then kept for the tab and out of the address ---------
if (params.has("token")) {
  sessionStorage.setItem("sigtrack-token", params.get("token"));
  params.delete("token");
  history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : ""));
}
const token = sessionStorage.getItem("sigtrack-token");

class Unauthorized extends Error {}

async function api(path) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const response = await fetch(path, { headers, cache: "no-store" });
  if (response.status === 401 || response.status === 403) throw new Unauthorized();
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

// --- formatting, as core/texts.py format_pct ----------------------------------------
function fixed(value, digits) {
  // Python's format rounds an exact tie to even; toFixed rounds it up
  const scaled = value * 10 ** digits;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const down = Math.floor(scaled);
    const even = down % 2 === 0 ? down : down + 1;
    return (even / 10 ** digits).toFixed(digits);
  }
  return value.toFixed(digits);
}

function pct(value, { signed = false, digits = 1 } = {}) {
  if (value === null || value === undefined) return NO_VALUE;
  const text = Object.is(value, -0) ? "-" + fixed(0, digits) : fixed(value, digits);
  return (signed && !text.startsWith("-") ? "+" : "") + text + "%";
}

function number(value, digits = 2, signed = false) {
  if (value === null || value === undefined) return NO_VALUE;
  const text = fixed(value, digits);
  return (signed && !text.startsWith("-") ? "+" : "") + text;
}

function when(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : NO_VALUE;
}

function t(key, values = {}) {
  const template = state.texts["dashboard." + key] || key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function interval(range) {
  return range ? t("interval", { low: pct(range[0]), high: pct(range[1]) }) : "";
}

// --- the window: ?days=N, or ?since=YYYY-MM-DD&until=YYYY-MM-DD (until exclusive) -----
function readWindow() {
  if (params.get("since") && params.get("until")) {
    state.since = params.get("since");
    state.until = params.get("until");
    state.days = null;
  } else {
    state.days = Number(params.get("days")) || 30;
    state.since = state.until = null;
  }
}

function windowQuery() {
  return state.days ? `days=${state.days}` : `since=${state.since}&until=${state.until}`;
}

function dayShift(date, by) {
  const d = new Date(date + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + by);
  return d.toISOString().slice(0, 10);
}

function choose(query) {
  for (const key of ["days", "since", "until"]) params.delete(key);
  for (const [key, value] of Object.entries(query)) params.set(key, value);
  history.replaceState(null, "", location.pathname + "?" + params);
  readWindow();
  load();
}

// --- drawing --------------------------------------------------------------------------
function setCard(id, value, sub, tone) {
  const card = document.querySelector(`[data-testid="${id}"]`);
  const shown = card.querySelector(".value");
  shown.textContent = value;
  shown.className = "value" + (tone ? " " + tone : "");
  if (sub !== undefined) card.querySelector(".sub").textContent = sub;
}

function tone(value) {
  if (value === null || value === undefined || value === 0) return "";
  return value > 0 ? "pos" : "neg";
}

function winrateCard(id, summary) {
  setCard(id, pct(summary.winrate_pct),
          [interval(summary.winrate_interval_pct),
           t("decided", { wins: summary.wins, losses: summary.losses, total: summary.total })]
            .filter(Boolean).join(" · "));
}

const whiskers = {
  id: "whiskers",
  afterDatasetsDraw(chart) {
    const ranges = chart.options.plugins.whiskers?.ranges;
    if (!ranges) return;
    const { ctx, scales: { y } } = chart;
    const meta = chart.getDatasetMeta(0);
    ctx.save();
    ctx.strokeStyle = getComputedStyle(document.body).color;
    ctx.lineWidth = 1.5;
    meta.data.forEach((bar, i) => {
      const range = ranges[i];
      if (!range) return;
      const [top, bottom] = [y.getPixelForValue(range[1]), y.getPixelForValue(range[0])];
      ctx.beginPath();
      ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
      ctx.moveTo(bar.x - 5, top); ctx.lineTo(bar.x + 5, top);
      ctx.moveTo(bar.x - 5, bottom); ctx.lineTo(bar.x + 5, bottom);
      ctx.stroke();
    });
    ctx.restore();
  },
};

function chart(id, config, hasData) {
  const figure = document.querySelector(`[data-testid="${id}"]`);
  figure.querySelector(".box").hidden = !hasData;
  figure.querySelector(".empty").hidden = hasData;
  if (!hasData) return;
  const canvas = figure.querySelector("canvas");
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false,
                                   animation: false }, config.options || {});
  state.charts.push(new Chart(canvas, config));
}

const COLOURS = { wins: "#2e7d32", losses: "#c62828", expired: "#9e9e9e", breakeven: "#f9a825",
                  cancelled: "#6d4c41", still_open: "#1565c0" };

function drawCharts(view) {
  state.charts.forEach((c) => c.destroy());
  state.charts = [];
  const percent = { callback: (v) => v + "%" };
  chart("chart-equity", {
    type: "line",
    data: { labels: view.equity.map((p) => when(p.at)),
            datasets: [{ label: t("equity"), data: view.equity.map((p) => p.pnl_pct),
                         borderColor: "#1565c0", pointRadius: 0, tension: 0.1, fill: false }] },
    options: { plugins: { legend: { display: false },
                          tooltip: { callbacks: { label: (c) => pct(c.parsed.y, { signed: true, digits: 2 }) } } },
               scales: { x: { ticks: { maxTicksLimit: 8, maxRotation: 0 } }, y: { ticks: percent } } },
  }, view.equity.length > 0);

  const coins = view.by_symbol.rows.filter((r) => r.winrate_pct !== null);
  chart("chart-by-coin", {
    type: "bar",
    data: { labels: coins.map((r) => r.key),
            datasets: [{ label: "winrate", data: coins.map((r) => r.winrate_pct),
                         backgroundColor: coins.map((r) => (r.too_few ? "#90a4ae" : "#1565c0")) }] },
    options: { plugins: { legend: { display: false },
                          whiskers: { ranges: coins.map((r) => r.winrate_interval_pct) },
                          tooltip: { callbacks: { label: (c) => pct(c.parsed.y) + " · " +
                            interval(coins[c.dataIndex].winrate_interval_pct) } } },
               scales: { y: { min: 0, max: 100, ticks: percent } } },
    plugins: [whiskers],
  }, coins.length > 0);

  const bands = view.by_confidence.rows.filter((r) => r.winrate_pct !== null && /\d/.test(r.key));
  const middle = (key) => {
    const [low, high] = key.match(/\d+/g).map(Number);
    return high === undefined ? low : (low + high) / 2;
  };
  chart("chart-calibration", {
    type: "bar",
    data: { labels: bands.map((r) => r.key),
            datasets: [
              { type: "bar", label: "winrate", data: bands.map((r) => r.winrate_pct),
                backgroundColor: "#1565c0" },
              { type: "line", label: t("perfect"), data: bands.map((r) => middle(r.key)),
                borderColor: "#9e9e9e", borderDash: [6, 4], pointRadius: 0, fill: false },
            ] },
    options: { plugins: { whiskers: { ranges: bands.map((r) => r.winrate_interval_pct) } },
               scales: { y: { min: 0, max: 100, ticks: percent },
                         x: { title: { display: true, text: t("band") } } } },
    plugins: [whiskers],
  }, bands.length > 0);

  const p = view.performance;
  const mix = { wins: p.wins, losses: p.losses, expired: p.expired, breakeven: p.breakeven,
                cancelled: p.cancelled, still_open: p.open };
  const parts = Object.entries(mix).filter(([, n]) => n > 0);
  chart("chart-result-mix", {
    type: "doughnut",
    data: { labels: parts.map(([k, n]) => `${t(k)} (${n})`),
            datasets: [{ data: parts.map(([, n]) => n),
                         backgroundColor: parts.map(([k]) => COLOURS[k]) }] },
    options: { plugins: { legend: { position: "right" } } },
  }, parts.length > 0);
}

function fillTable(id, columns, rows) {
  const table = document.querySelector(`[data-testid="${id}"]`);
  table.tHead.replaceChildren(row(columns.map(([key]) => t(key)), "th"));
  const body = rows.length
    ? rows.map((item) => row(columns.map(([, value]) => value(item)), "td"))
    : [row([t("no_data")], "td")];
  table.tBodies[0].replaceChildren(...body);
}

function row(cells, tag) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement(tag);
    td.textContent = cell;  // never HTML: a reason or a symbol is shown as written
    tr.append(td);
  }
  return tr;
}

function drawTables(view) {
  fillTable("table-open", [
    ["col_symbol", (s) => s.symbol], ["col_side", (s) => s.side], ["col_tf", (s) => s.timeframe],
    ["col_entry", (s) => s.entry], ["col_price", (s) => s.price ?? NO_VALUE],
    ["col_target", (s) => `TP${s.next_target} ${s.target_price}`], ["col_stop", (s) => s.stop],
    ["col_to_target", (s) => pct(s.to_target_pct, { signed: true, digits: 2 })],
    ["col_to_stop", (s) => pct(s.to_stop_pct, { signed: true, digits: 2 })],
    ["col_age", (s) => number(s.age_hours, 1)], ["col_created", (s) => when(s.created_at)],
  ], view.open.items);
  const more = document.querySelector(".more");
  const hidden = view.open.total - view.open.items.length;
  more.hidden = hidden <= 0;
  more.textContent = hidden > 0 ? t("more_open", { n: hidden }) : "";
  fillTable("table-closes", [
    ["col_closed", (c) => when(c.closed_at)], ["col_symbol", (c) => c.symbol],
    ["col_side", (c) => c.side], ["col_tf", (c) => c.timeframe], ["col_result", (c) => c.result],
    ["col_reason", (c) => c.exit_reason ?? NO_VALUE],
    ["col_pnl", (c) => pct(c.pnl_pct, { signed: true, digits: 2 })],
    ["col_r", (c) => number(c.r_multiple, 2, true)],
  ], view.recent_closes);
}

function showError(message) {
  const box = document.querySelector('[data-testid="error"]');
  box.hidden = !message;
  box.textContent = message || "";
}

async function load() {
  document.querySelectorAll("[data-days]").forEach((b) =>
    b.setAttribute("aria-pressed", String(Number(b.dataset.days) === state.days)));
  const form = document.querySelector('[data-testid="custom-range"]');
  if (state.since) {
    form.since.value = state.since;
    form.until.value = dayShift(state.until, -1);
  }
  try {
    const [week, month, view] = await Promise.all([
      api("/stats/winrate?days=7"), api("/stats/winrate?days=30"),
      api("/stats/overview?" + windowQuery()),
    ]);
    showError("");
    document.querySelector('[data-testid="zone"]').textContent = view.zone;
    document.querySelector('[data-testid="window-label"]').textContent =
      `${when(view.since).slice(0, 10)} → ${when(view.until).slice(0, 10)}`;
    document.querySelector('[data-testid="updated"]').textContent =
      t("updated", { at: when(week.until) });
    winrateCard("card-winrate-7", week);
    winrateCard("card-winrate-30", month);
    const p = view.performance;
    winrateCard("card-window-winrate", p);
    setCard("card-avg-pnl", pct(p.avg_pnl_pct, { signed: true, digits: 2 }),
            `n = ${p.pnl_n ?? p.total}`, tone(p.avg_pnl_pct));
    setCard("card-expectancy", number(p.expectancy_r, 2, true),
            t("expectancy_n", { n: p.expectancy_n ?? 0 }), tone(p.expectancy_r));
    setCard("card-open", String(view.open.total));
    drawCharts(view);
    drawTables(view);
    document.body.dataset.loaded = windowQuery();
  } catch (error) {
    showError(error instanceof Unauthorized ? t("unauthorized") : t("failed", { reason: error.message }));
    document.body.dataset.loaded = "error";
  }
}

async function start() {
  try {
    const lang = params.get("lang");
    const texts = await api("/ui/texts" + (lang ? "?lang=" + encodeURIComponent(lang) : ""));
    state.texts = texts.texts;
    document.documentElement.lang = texts.lang;
  } catch (error) {
    showError(error instanceof Unauthorized ? "401" : String(error.message));
  }
  document.querySelectorAll("[data-text]").forEach((el) => (el.textContent = t(el.dataset.text.slice(10))));
  document.title = t("title");
  document.querySelectorAll("[data-days]").forEach((button) => {
    button.textContent = t("days", { n: button.dataset.days });
    button.addEventListener("click", () => choose({ days: button.dataset.days }));
  });
  document.querySelector('[data-testid="custom-range"]').addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    if (form.since.value && form.until.value) {
      choose({ since: form.since.value, until: dayShift(form.until.value, 1) });
    }
  });
  readWindow();
  await load();
}

document.addEventListener("DOMContentLoaded", start);
