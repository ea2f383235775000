// History: the zone's temperature against its target, with heating and cooling as bands,
// over a day, a week or a month, from the decision log (kept 31 days); and the log itself.
import { get } from "../api.js";
import { field, h, replace } from "../dom.js";
import { fmtTemp, fmtTime, toShown, units } from "../prefs.js";

const SPANS = { day: 1, week: 7, month: 31 };

function zonePicker(ctx, zoneId, base) {
  return field("Zone", h("select", { onchange: (e) => { location.hash = `${base}/${e.target.value}`; } },
    ctx.zones.map((z) => h("option", { value: z.id, selected: z.id === zoneId }, z.name))), "zone");
}

async function decisions(zoneId, days) {
  const to = new Date();
  const from = new Date(to - days * 86400e3);
  return get(`/v1/zones/${zoneId}/decisions?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=10000`);
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

export async function historyScreen(main, [zoneParam], ctx) {
  if (!ctx.zones.length) { replace(main, h("h1", {}, "History"), h("p", {}, "No zones yet.")); return null; }
  const zoneId = Number(zoneParam || ctx.zones[0].id);
  const chart = h("div", { class: "chart", role: "img", "aria-label": "Temperature and target over time" });
  const summary = h("p", { class: "hint", "aria-live": "polite" });
  let span = "day";
  let plot = null;
  const buttons = Object.keys(SPANS).map((name) => h("button", { type: "button", class: "secondary", "aria-pressed": String(name === span),
    onclick: () => { span = name; buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.textContent === name))); render(); } }, name));

  async function render() {
    const [{ default: uPlot }, log] = await Promise.all([import("../uplot.js"), decisions(zoneId, SPANS[span])]);
    const rows = log.decisions;
    if (plot) { plot.destroy(); plot = null; }
    if (!rows.length) { replace(chart, h("p", {}, "No decisions in this span yet.")); replace(summary); return; }
    // Each decision stands until the next: the last one is carried to now.
    rows.push({ ...rows[rows.length - 1], time: log.to });
    const xs = rows.map((d) => Date.parse(d.time) / 1000);
    const shown = (v) => (v == null ? null : toShown(v));
    const temperature = rows.map((d) => shown(d.data.temperature));
    const heat = rows.map((d) => shown(d.data.target && d.data.target.heat_setpoint));
    const cool = rows.map((d) => shown(d.data.target && d.data.target.cool_setpoint));
    replace(chart);
    const width = Math.max(280, chart.clientWidth || main.clientWidth || 600);
    plot = new uPlot({
      width, height: 300, plugins: [bandsPlugin(rows.map((d) => d.action))],
      scales: { x: { time: true, range: [Date.parse(log.from) / 1000, Date.parse(log.to) / 1000] } },
      axes: [{ stroke: "currentColor", grid: { stroke: "rgba(128,128,128,0.2)" } },
        { stroke: "currentColor", label: `°${units()}`, grid: { stroke: "rgba(128,128,128,0.2)" } }],
      series: [{}, { label: "Temperature", stroke: "#d04a02", width: 2 },
        { label: "Heat to", stroke: "#b3261e", dash: [6, 4], paths: uPlot.paths.stepped({ align: 1 }) },
        { label: "Cool to", stroke: "#1f5fbf", dash: [6, 4], paths: uPlot.paths.stepped({ align: 1 }) }],
    }, [xs, temperature, heat, cool], chart);
    const valid = temperature.filter((v) => v != null);
    replace(summary, `${rows.length - 1} decisions from ${fmtTime(rows[0].time, true)} to ${fmtTime(rows[rows.length - 1].time, true)}`
      + (valid.length ? `; temperature ${fmtTemp(Math.min(...rows.map((d) => d.data.temperature).filter((v) => v != null)))} to ${fmtTemp(Math.max(...rows.map((d) => d.data.temperature).filter((v) => v != null)))}.` : "."));
  }
  replace(main, h("h1", {}, "History"), zonePicker(ctx, zoneId, "#/history"),
    h("div", { class: "actions", role: "group", "aria-label": "Span" }, buttons), chart, summary,
    h("p", { class: "hint" }, "Shaded: heating (red) and cooling (blue)."));
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
