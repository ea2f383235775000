// History: the zone's temperature against its targets, heating and cooling shaded, each
// sensor and the outdoor temperature, over a day, a week, a month or a year, from
// GET /v1/history; its heating and cooling runs from GET /v1/runs. A hub without the
// history routes is charted from its decision log (kept 31 days). And the decision log.
import { ApiError, get } from "../api.js";
import { field, h, replace } from "../dom.js";
import { fmtTemp, fmtTime, toShown, units } from "../prefs.js";

const SPANS = { day: 1, week: 7, month: 31, year: 366 };
const LOG_SPANS = ["day", "week", "month"];
const COLOURS = ["#2f7d32", "#7b3fa0", "#00838f", "#8d6e00", "#c2185b", "#455a64"];

function zonePicker(ctx, zoneId, base) {
  return field("Zone", h("select", { onchange: (e) => { location.hash = `${base}/${e.target.value}`; } },
    ctx.zones.map((z) => h("option", { value: z.id, selected: z.id === zoneId }, z.name))), "zone");
}

const window_ = (days) => { const to = new Date(); return [new Date(to - days * 86400e3), to]; };
const range = ([from, to]) => `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;

async function decisions(zoneId, days) {
  return get(`/v1/zones/${zoneId}/decisions?${range(window_(days))}&limit=10000`);
}

// Does this hub keep a history (GET /v1/history)? Its series' names, or null.
async function historyNames() {
  try {
    return (await get("/v1/history/series")).series;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

// uPlot draws action bands under the lines: one hook, filling where the action held.
function bandsPlugin(actions) {
  const colours = { heating: "rgba(230, 90, 60, 0.18)", cooling: "rgba(60, 120, 230, 0.18)" };
  return { hooks: { drawClear: (u) => {
    const { ctx } = u;
    const xs = u.data[0];
    ctx.save();
    for (let i = 0; i < xs.length - 1; i++) {
      const fill = colours[actions[i]];
      if (!fill) continue;
      const left = u.valToPos(xs[i], "x", true);
      const right = u.valToPos(xs[i + 1], "x", true);
      ctx.fillStyle = fill;
      ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
    }
    ctx.restore();
  } } };
}

// One x axis for all: the union of the series' times and the window's end. A zone's series
// (kept where their value changes) carry their value forward to the end; a sensor's (every
// reading) leave gaps between theirs.
function align(series, carried, end) {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => Date.parse(p.time) / 1000)).concat([end]))]
    .sort((a, b) => a - b);
  const columns = series.map((s) => {
    const at = new Map(s.points.map((p) => [Date.parse(p.time) / 1000, p.mean]));
    let last = null;
    return times.map((t) => {
      if (at.has(t)) { last = at.get(t); return last; }
      return carried(s.name) ? last : null;
    });
  });
  return [times, columns];
}

async function fromHistory(zone, names, days, width, sensors) {
  const wanted = ["temperature", "target", "target_low", "target_high", "action"].map((f) => `zone/${zone.id}/${f}`)
    .concat(zone.sensors.map((id) => `sensor/${id}`), ["outdoor/temperature"]).filter((n) => names.includes(n)).slice(0, 16);
  if (!wanted.length) return null;
  const query = wanted.map((n) => `series=${encodeURIComponent(n)}`).join("&");
  const answer = await get(`/v1/history?${query}&${range(window_(days))}&max_points=${Math.min(1000, Math.round(width))}`);
  const found = answer.series.filter((s) => s.points.length);
  if (!found.length) return null;
  const stepped = (name) => /\/(target|target_low|target_high|action)$/.test(name);
  const [xs, columns] = align(found, (name) => name.startsWith("zone/"), Date.parse(answer.to) / 1000);
  const label = (name) => {
    if (name.endsWith("/temperature") && name.startsWith("zone/")) return ["Temperature", "#d04a02", 2];
    if (name.endsWith("/target")) return ["Target", "#b3261e", 1];
    if (name.endsWith("/target_low")) return ["Heat to", "#b3261e", 1];
    if (name.endsWith("/target_high")) return ["Cool to", "#1f5fbf", 1];
    if (name === "outdoor/temperature") return ["Outdoor", "#5f6368", 1];
    const sensor = sensors.find((s) => `sensor/${s.id}` === name);
    return [sensor ? sensor.alias || sensor.name || sensor.id : name, null, 1];
  };
  const action = found.findIndex((s) => s.name.endsWith("/action"));
  const actions = action < 0 ? [] : columns[action].map((v) => (v > 0.5 && v < 1.5 ? "heating" : v < -0.5 ? "cooling" : "idle"));
  let colour = 0;
  const lines = found.map((s, i) => [s, columns[i]]).filter(([s]) => !s.name.endsWith("/action")).map(([s, column]) => {
    const [name, stroke, width_] = label(s.name);
    return { label: name, stroke: stroke || COLOURS[colour++ % COLOURS.length], width: width_, values: column.map((v) => (v == null ? null : toShown(v))),
      stepped: stepped(s.name), dash: stepped(s.name) ? [6, 4] : null };
  });
  return { xs, lines, actions, from: answer.from, to: answer.to,
    summary: `${found.map((s) => s.points.length).reduce((a, b) => a + b, 0)} points (${found[0].resolution}) from the hub's history.` };
}

async function fromDecisions(zone, days) {
  const log = await decisions(zone.id, days);
  const rows = log.decisions;
  if (!rows.length) return null;
  // Each decision stands until the next: the last one is carried to now.
  rows.push({ ...rows[rows.length - 1], time: log.to });
  const shown = (v) => (v == null ? null : toShown(v));
  const temperatures = rows.map((d) => d.data.temperature).filter((v) => v != null);
  return {
    xs: rows.map((d) => Date.parse(d.time) / 1000), actions: rows.map((d) => d.action), from: log.from, to: log.to,
    lines: [
      { label: "Temperature", stroke: "#d04a02", width: 2, values: rows.map((d) => shown(d.data.temperature)) },
      { label: "Heat to", stroke: "#b3261e", width: 1, stepped: true, dash: [6, 4], values: rows.map((d) => shown(d.data.target && d.data.target.heat_setpoint)) },
      { label: "Cool to", stroke: "#1f5fbf", width: 1, stepped: true, dash: [6, 4], values: rows.map((d) => shown(d.data.target && d.data.target.cool_setpoint)) }],
    summary: `${rows.length - 1} decisions from ${fmtTime(rows[0].time, true)} to ${fmtTime(rows[rows.length - 2].time, true)}`
      + (temperatures.length ? `; temperature ${fmtTemp(Math.min(...temperatures))} to ${fmtTemp(Math.max(...temperatures))}.` : "."),
  };
}

function runsList(runs) {
  if (!runs.length) return h("p", {}, "No heating or cooling runs in this span.");
  return h("ul", { class: "runs" }, runs.slice().reverse().slice(0, 50).map((run) => h("li", {},
    `${run.kind} ${fmtTime(run.start, true)}, ${run.end ? `${Math.round(run.duration_s / 60)} min` : "running"}, from ${fmtTemp(run.start_temperature)}`
    + (run.samples.length ? ` to ${fmtTemp(run.samples[run.samples.length - 1].temperature)}` : "")
    + (run.start_outdoor != null ? ` (outdoor ${fmtTemp(run.start_outdoor)})` : ""))));
}

export async function historyScreen(main, [zoneParam], ctx) {
  if (!ctx.zones.length) { replace(main, h("h1", {}, "History"), h("p", {}, "No zones yet.")); return null; }
  const zoneId = Number(zoneParam || ctx.zones[0].id);
  const [zone, names, sensors] = await Promise.all([get(`/v1/zones/${zoneId}`), historyNames(), get("/v1/sensors")]);
  const chart = h("div", { class: "chart", role: "img", "aria-label": `${zone.name}: temperature and targets over time` });
  const summary = h("p", { class: "hint summary", "aria-live": "polite" });
  const runs = h("section", { class: "runs-list" });
  let span = "day";
  let plot = null;
  const buttons = Object.keys(SPANS).filter((s) => names || LOG_SPANS.includes(s)).map((name) => h("button", {
    type: "button", class: "secondary", "aria-pressed": String(name === span),
    onclick: () => { span = name; buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.textContent === name))); render(); } }, name));

  async function render() {
    const width = Math.max(280, chart.clientWidth || main.clientWidth || 600);
    const [{ default: uPlot }, data] = await Promise.all([import("../uplot.js"),
      names ? fromHistory(zone, names, SPANS[span], width, sensors.sensors) : fromDecisions(zone, SPANS[span])]);
    if (plot) { plot.destroy(); plot = null; }
    replace(chart);
    if (!data) { replace(chart, h("p", {}, "Nothing recorded in this span yet.")); replace(summary); return; }
    const path = uPlot.paths.stepped({ align: 1 });
    const ink = getComputedStyle(chart).color;  // a canvas knows no currentColor: the theme's text colour
    plot = new uPlot({
      width, height: 300, plugins: [bandsPlugin(data.actions)],
      scales: { x: { time: true, range: [Date.parse(data.from) / 1000, Date.parse(data.to) / 1000] } },
      axes: [{ stroke: ink, grid: { stroke: "rgba(128,128,128,0.2)" } },
        { stroke: ink, label: `°${units()}`, grid: { stroke: "rgba(128,128,128,0.2)" } }],
      series: [{}, ...data.lines.map((l) => ({ label: l.label, stroke: l.stroke, width: l.width, spanGaps: true,
        dash: l.dash || undefined, paths: l.stepped ? path : undefined }))],
    }, [data.xs, ...data.lines.map((l) => l.values)], chart);
    replace(summary, data.summary);
    if (names) {
      try {
        const answer = await get(`/v1/runs?zone_id=${zoneId}&${range(window_(Math.min(SPANS[span], 400)))}&limit=1000`);
        replace(runs, h("h2", {}, "Runs"), runsList(answer.runs));
      } catch (error) {
        replace(runs, h("p", { class: "error" }, `Runs: ${error.message}`));
      }
    }
  }
  replace(main, h("h1", {}, "History"), zonePicker(ctx, zoneId, "#/history"),
    h("div", { class: "actions", role: "group", "aria-label": "Span" }, buttons), chart, summary,
    h("p", { class: "hint" }, "Shaded: heating (red) and cooling (blue)."), runs);
  await render();
  return { dispose() { if (plot) plot.destroy(); } };
}

export async function logScreen(main, [zoneParam], ctx) {
  if (!ctx.zones.length) { replace(main, h("h1", {}, "Decision log"), h("p", {}, "No zones yet.")); return null; }
  const zoneId = Number(zoneParam || ctx.zones[0].id);
  const list = h("ol", { class: "log", reversed: true });
  async function render() {
    const log = await decisions(zoneId, 1);
    replace(list, log.decisions.slice().reverse().slice(0, 200).map((d) => h("li", {},
      h("time", { datetime: d.time }, fmtTime(d.time, true)), " ", h("span", { class: `badge action-${d.action}` }, d.action), " ",
      h("span", {}, d.reason))));
    if (!log.decisions.length) replace(list, h("li", {}, "No decisions in the last day."));
  }
  replace(main, h("h1", {}, "Decision log"), zonePicker(ctx, zoneId, "#/log"), list);
  await render();
  return { onEvent(event) { if (event.kind === "decision" && event.data.zone_id === zoneId) render(); } };
}
