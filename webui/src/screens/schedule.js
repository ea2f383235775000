// The schedule: a week of each zone's timeline (blocks coloured by target, conflicts
// marked), the rule behind a block, and forms for recurring rules and one-time intervals.
import { api, get } from "../api.js";
import { field, h, replace } from "../dom.js";
import { clearErrors, showErrors } from "../forms.js";
import { describeTarget, fmtTime, fromShown, hubTimezone, toShown, units } from "../prefs.js";
import { days } from "../zoned.js";

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MODES = ["heat", "cool", "auto", "off", "fan"];

// Cold blue to warm red over 10–25 °C, light enough for black text in either theme.
function colour(target) {
  if (target.mode === "off") return "hsl(0 0% 82%)";
  const value = target.mode === "cool" ? target.cool_setpoint : target.heat_setpoint;
  if (value == null) return "hsl(140 40% 80%)";
  const t = Math.max(0, Math.min(1, (value - 10) / 15));
  return `hsl(${Math.round(220 - 220 * t)} 75% 80%)`;
}

const hhmm = (minutes) => `${String(Math.floor(minutes / 60) % 24).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
const minutesOf = (text) => { const [hh, mm] = text.split(":").map(Number); return hh * 60 + mm; };

// A cron "M H * * days" and a whole-minute PT..H..M duration, as the form edits them.
function simpleRecurring(rule) {
  const match = /^(\d+) (\d+) \* \* ([0-7,*-]+)$/.exec(rule.cron || "");
  const duration = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(rule.duration || "");
  if (!match || !duration) return null;
  const days = new Set();
  for (const part of match[3].split(",")) {
    if (part === "*") [0, 1, 2, 3, 4, 5, 6].forEach((d) => days.add(d));
    else if (part.includes("-")) { const [a, b] = part.split("-").map(Number); for (let d = a; d <= b; d++) days.add(d % 7); }
    else days.add(Number(part) % 7);
  }
  const start = Number(match[2]) * 60 + Number(match[1]);
  const length = Number(duration[1] || 0) * 60 + Number(duration[2] || 0);
  return { days, start: hhmm(start), end: hhmm(start + length) };
}

function targetFields(prefix, target) {
  const mode = h("select", {}, MODES.map((m) => h("option", { value: m, selected: m === (target.mode || "heat") }, m)));
  const shown = (c) => (c == null ? "" : String(Math.round(toShown(c) * 10) / 10));
  const heat = h("input", { type: "number", step: "0.5", inputmode: "decimal", value: shown(target.heat_setpoint ?? 20) });
  const cool = h("input", { type: "number", step: "0.5", inputmode: "decimal", value: shown(target.cool_setpoint ?? 25) });
  const nodes = [field("Mode", mode, `${prefix}target/mode`),
    field(`Heat to (°${units()})`, heat, `${prefix}target/heat_setpoint`),
    field(`Cool to (°${units()})`, cool, `${prefix}target/cool_setpoint`)];
  const read = () => {
    const out = { ...target, mode: mode.value };
    delete out.heat_setpoint; delete out.cool_setpoint;
    const number = (input) => (input.value === "" ? null : Math.round(fromShown(Number(input.value)) * 100) / 100);
    if (["heat", "auto"].includes(mode.value)) out.heat_setpoint = number(heat);
    if (["cool", "auto"].includes(mode.value)) out.cool_setpoint = number(cool);
    return out;
  };
  return { nodes, read };
}

function recurringForm(zoneId, rule, done) {
  const simple = rule ? simpleRecurring(rule) : { days: new Set([1, 2, 3, 4, 5]), start: "07:00", end: "09:00" };
  const name = h("input", { type: "text", value: rule ? rule.name : "", maxlength: "80" });
  const dayBoxes = DAY_NAMES.map((label, i) => h("label", { class: "choice" },
    h("input", { type: "checkbox", value: String(i), checked: simple ? simple.days.has(i) : false }), " ", label));
  const start = h("input", { type: "time", value: simple ? simple.start : "" });
  const end = h("input", { type: "time", value: simple ? simple.end : "" });
  const cron = h("input", { type: "text", value: rule ? rule.cron : "" });
  const duration = h("input", { type: "text", value: rule ? rule.duration || "" : "" });
  const target = targetFields("", rule ? rule.target : { mode: "heat", heat_setpoint: 20 });
  const form = h("form", { novalidate: true, class: "rule-form", "aria-label": rule ? `Edit ${rule.name}` : "New recurring rule",
    onsubmit: async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = { name: name.value, target: target.read() };
      if (simple) {
        const chosen = dayBoxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
        const from = start.value ? minutesOf(start.value) : null;
        const to = end.value ? minutesOf(end.value) : null;
        body.cron = from === null ? "" : `${from % 60} ${Math.floor(from / 60)} * * ${chosen.join(",") || "*"}`;
        if (!chosen.length) { showErrors(form, { message: "choose at least one day", details: [{ field: "days", message: "choose at least one day" }] }); return; }
        const length = from === null || to === null ? 0 : (to - from + 1440) % 1440 || 1440;
        body.duration = `PT${Math.floor(length / 60)}H${length % 60}M`;
      } else {
        body.cron = cron.value;
        body.duration = duration.value;
      }
      try {
        if (rule) await api("PATCH", `/v1/rules/${rule.id}`, body);
        else await api("POST", "/v1/rules", { zone_id: zoneId, kind: "recurring", ...body });
        done();
      } catch (error) {
        showErrors(form, error, simple ? { cron: "start", duration: "end" } : {});
      }
    } },
  h("p", { class: "error", "data-error-for": "", hidden: true, role: "alert" }),
  field("Name", name, "name"),
  simple ? [h("fieldset", { class: "field days", "data-field": "days" }, h("legend", {}, "Days"), dayBoxes,
    h("p", { class: "error", "data-error-for": "days", hidden: true })),
  field("Starts", start, "start"), field("Ends", end, "end")]
    : [field("Cron (minute hour day month weekday)", cron, "cron"), field("Duration (ISO 8601, e.g. PT2H)", duration, "duration")],
  target.nodes,
  h("p", { class: "actions" }, h("button", { type: "submit" }, rule ? "Save" : "Add rule")));
  return form;
}

function onceForm(zoneId, rule, done) {
  const [from, to] = rule && rule.interval ? rule.interval.split("/") : ["", ""];
  const local = (text) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text || "") ? text.slice(0, 16) : "");
  const name = h("input", { type: "text", value: rule ? rule.name : "Away", maxlength: "80" });
  const start = h("input", { type: "datetime-local", value: local(from) });
  const end = h("input", { type: "datetime-local", value: local(to) });
  const target = targetFields("", rule ? rule.target : { mode: "heat", heat_setpoint: 12 });
  const form = h("form", { novalidate: true, class: "rule-form", "aria-label": rule ? `Edit ${rule.name}` : "New one-time interval",
    onsubmit: async (event) => {
      event.preventDefault();
      clearErrors(form);
      const body = { name: name.value, interval: `${start.value}/${end.value}`, target: target.read() };
      try {
        if (rule) await api("PATCH", `/v1/rules/${rule.id}`, body);
        else await api("POST", "/v1/rules", { zone_id: zoneId, kind: "once", ...body });
        done();
      } catch (error) {
        showErrors(form, error, { interval: "start" });
      }
    } },
  h("p", { class: "error", "data-error-for": "", hidden: true, role: "alert" }),
  field("Name", name, "name"), field("From (hub's local time)", start, "start"), field("To", end, "end"),
  target.nodes,
  h("p", { class: "actions" }, h("button", { type: "submit" }, rule ? "Save" : "Add interval")));
  return form;
}

function week(timeline, rules, onPick) {
  const tz = hubTimezone();
  const conflicts = timeline.conflicts.map((c) => [new Date(c.start), new Date(c.end)]);
  const names = Object.fromEntries(rules.map((r) => [String(r.id), r.name]));
  return h("div", { class: "week", role: "list", "aria-label": "The week's schedule" }, days(7, tz).map((day) => {
    const span = day.end - day.start;
    const blocks = timeline.segments.map((segment) => {
      const start = Math.max(new Date(segment.start), day.start);
      const end = Math.min(new Date(segment.end), day.end);
      if (end <= start) return null;
      const conflict = conflicts.some(([a, b]) => a < end && b > start);
      const who = segment.rule_id === null ? "default target" : names[String(segment.rule_id)] || `rule ${segment.rule_id}`;
      const label = `${day.label} ${fmtTime(new Date(start).toISOString())}–${fmtTime(new Date(end).toISOString())}: `
        + `${describeTarget(segment.target)} (${who})${conflict ? ", conflict" : ""}`;
      const value = segment.target.mode === "cool" ? segment.target.cool_setpoint : segment.target.heat_setpoint;
      return h("button", { type: "button", class: `block${conflict ? " conflict" : ""}`, "aria-label": label, title: label,
        "data-rule": segment.rule_id === null ? "" : String(segment.rule_id),
        onclick: () => onPick(segment, who) },
      value == null ? segment.target.mode : toShown(value).toFixed(1));
    }).filter(Boolean);
    const row = h("div", { class: "day", role: "listitem" }, h("span", { class: "day-label" }, day.label), h("div", { class: "bar" }, blocks));
    // Widths and colours through the CSSOM: the CSP allows no style attributes in markup.
    let i = 0;
    for (const segment of timeline.segments) {
      const start = Math.max(new Date(segment.start), day.start);
      const end = Math.min(new Date(segment.end), day.end);
      if (end <= start) continue;
      const block = blocks[i++];
      block.style.left = `${((start - day.start) / span) * 100}%`;
      block.style.width = `${((end - start) / span) * 100}%`;
      block.style.background = colour(segment.target);
    }
    return row;
  }));
}

export async function scheduleScreen(main, [zoneParam], ctx) {
  const zones = ctx.zones;
  if (!zones.length) { replace(main, h("h1", {}, "Schedule"), h("p", {}, "No zones yet.")); return null; }
  const zoneId = Number(zoneParam || zones[0].id);
  const detail = h("section", { class: "detail", "aria-live": "polite" });
  const body = h("div");
  const picker = h("select", { onchange: (e) => { location.hash = `#/schedule/${e.target.value}`; } },
    zones.map((z) => h("option", { value: z.id, selected: z.id === zoneId }, z.name)));

  async function render() {
    const tz = hubTimezone();
    const span = days(7, tz);
    const [timeline, rules] = await Promise.all([
      get(`/v1/zones/${zoneId}/timeline?from=${encodeURIComponent(span[0].start.toISOString())}&to=${encodeURIComponent(span[6].end.toISOString())}`),
      get(`/v1/rules?zone_id=${zoneId}`)]);
    const list = rules.rules;
    const nameOf = (id) => list.find((r) => String(r.id) === String(id))?.name || `rule ${id}`;
    const pick = (segment, who) => {
      const rule = list.find((r) => String(r.id) === String(segment.rule_id));
      replace(detail, h("h2", {}, who),
        h("p", {}, `${fmtTime(segment.start, true)} – ${fmtTime(segment.end, true)}: ${describeTarget(segment.target)}`),
        h("p", { class: "hint" }, segment.why),
        segment.shadowed.length ? h("p", {}, `Shadowed: ${segment.shadowed.map(nameOf).join(", ")}`) : null,
        rule ? editor(rule) : null);
      detail.querySelector("h2").setAttribute("tabindex", "-1");
      detail.querySelector("h2").focus();
    };
    const editor = (rule) => {
      if (rule.kind === "recurring") return recurringForm(zoneId, rule, render);
      if (rule.kind === "once") return onceForm(zoneId, rule, render);
      return h("p", {}, "A hold: change it on the zone's Adjust screen.");
    };
    replace(body,
      week(timeline, list, pick),
      timeline.conflicts.length ? h("div", { class: "conflicts", role: "note" }, h("h2", {}, "Conflicts"),
        h("ul", {}, timeline.conflicts.map((c) => h("li", {}, `${fmtTime(c.start, true)}–${fmtTime(c.end)}: `
          + `${c.rule_ids.map(nameOf).join(" and ")} overlap; ${nameOf(c.winner)} applies`)))) : null,
      timeline.warnings.length ? h("ul", { class: "warnings" }, timeline.warnings.map((w) => h("li", {}, w))) : null,
      h("h2", {}, "Rules"),
      h("ul", { class: "rules" }, list.map((rule) => h("li", { "data-rule-id": rule.id },
        h("span", {}, `${rule.name} · ${rule.kind} · ${describeTarget(rule.target)}`), " ",
        h("button", { type: "button", class: "secondary", onclick: () => { replace(detail, h("h2", {}, rule.name), editor(rule)); } }, `Edit ${rule.name}`),
        h("button", { type: "button", class: "danger", onclick: async () => { await api("DELETE", `/v1/rules/${rule.id}`); replace(detail); render(); } }, `Delete ${rule.name}`)))));
  }
  const created = () => { for (const node of main.querySelectorAll("details.new")) node.open = false; render(); };
  replace(main, h("h1", {}, "Schedule"), field("Zone", picker, "zone"),
    h("p", { class: "hint" }, `Times in the hub's zone (${hubTimezone()}); blocks show the target in °${units()}.`), body, detail,
    h("details", { class: "new" }, h("summary", {}, "New recurring rule"), recurringForm(zoneId, null, created)),
    h("details", { class: "new" }, h("summary", {}, "New one-time interval (e.g. away)"), onceForm(zoneId, null, created)));
  await render();
  return { onEvent(event) { if (event.kind === "change" && ["rules", "hold", "zones", "settings"].includes(event.data.kind)) render(); } };
}
