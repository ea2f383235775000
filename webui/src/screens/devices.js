// Sensors, nodes and outputs: alias, zone, last seen, stale; enrolling a new node.
import { api, get } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { fmtTemp, fmtTime } from "../prefs.js";

function zoneSelect(zones, current, label, onChange) {
  return h("select", { "aria-label": label, onchange: (e) => onChange(e.target.value === "" ? null : Number(e.target.value)) },
    h("option", { value: "", selected: current == null }, "no zone"),
    zones.map((z) => h("option", { value: z.id, selected: z.id === current }, z.name)));
}

function aliasInput(item, label, save) {
  const status = h("span", { class: "error", id: uid("alias"), role: "status" });
  const input = h("input", { type: "text", value: item.alias || "", "aria-label": label, maxlength: "100",
    "aria-describedby": status.id,
    onchange: async (e) => {
      replace(status);
      try { await save({ alias: e.target.value.trim() || null }); } catch (error) { replace(status, error.message); }
    } });
  return [input, status];
}

export async function devicesScreen(main, _params, ctx) {
  const [sensors, nodes, outputs] = await Promise.all([get("/v1/sensors"), get("/v1/nodes"), get("/v1/outputs")]);
  const zones = ctx.zones;
  const patch = (what, id) => (changes) => api("PATCH", `/v1/${what}/${encodeURIComponent(id)}`, changes);
  const sensorRows = sensors.sensors.map((s) => h("tr", { "data-sensor": s.id },
    h("th", { scope: "row" }, s.id), h("td", {}, aliasInput(s, `Alias of sensor ${s.id}`, patch("sensors", s.id))),
    h("td", {}, zoneSelect(zones, s.zone_id, `Zone of sensor ${s.id}`, (zone) => patch("sensors", s.id)({ zone_id: zone }))),
    h("td", { class: "value" }, fmtTemp(s.last_value)), h("td", {}, fmtTime(s.last_seen, true)),
    h("td", {}, s.stale ? h("span", { class: "badge warn" }, "stale") : "fresh")));
  const outputRows = outputs.outputs.map((o) => h("tr", {},
    h("th", { scope: "row" }, o.id), h("td", {}, aliasInput(o, `Alias of output ${o.id}`, patch("outputs", o.id))),
    h("td", {}, zoneSelect(zones, o.zone_id, `Zone of output ${o.id}`, (zone) => patch("outputs", o.id)({ zone_id: zone }))),
    h("td", {}, h("select", { "aria-label": `Function of output ${o.id}`,
      onchange: (e) => patch("outputs", o.id)({ function: e.target.value || null }) },
    ["", "heat", "cool", "fan", "aux"].map((f) => h("option", { value: f, selected: (o.function || "") === f }, f || "none")))),
    h("td", {}, o.state)));
  const nodeRows = nodes.nodes.map((n) => h("tr", {},
    h("th", { scope: "row" }, n.name || n.id), h("td", {}, n.kind), h("td", {}, n.address || "—"), h("td", {}, n.version || "—"),
    h("td", {}, fmtTime(n.last_seen, true)),
    h("td", {}, h("button", { type: "button", class: "secondary", onclick: async (e) => {
      const made = await api("POST", `/v1/nodes/${encodeURIComponent(n.id)}/re-enroll`);
      replace(e.target.parentNode, `may enroll again until ${fmtTime(made.expires, true)}`);
    } }, `Allow ${n.name || n.id} to enroll again`))));
  // On a phone each row becomes a card: every cell carries its column's name (CSS shows it).
  const table = (caption, heads, rows) => {
    if (!rows.length) return h("section", {}, h("h2", {}, caption), h("p", {}, "None yet."));
    for (const row of rows) [...row.children].forEach((cell, i) => { if (heads[i]) cell.dataset.label = heads[i]; });
    return h("table", { class: "cards-on-phone" }, h("caption", {}, caption),
      h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows));
  };
  replace(main, h("h1", {}, "Devices"),
    h("div", { class: "scroll" }, table("Sensors", ["Sensor", "Alias", "Zone", "Last value", "Last seen", "State"], sensorRows)),
    h("div", { class: "scroll" }, table("Outputs", ["Output", "Alias", "Zone", "Function", "State"], outputRows)),
    h("div", { class: "scroll" }, table("Nodes", ["Node", "Kind", "Address", "Version", "Last seen", "Enrollment"], nodeRows)),
    h("section", { class: "card" }, h("h2", {}, "Enroll a new node"),
      h("p", {}, "Install the node (", h("code", {}, "pip install 'rpymostat[sensor]'"), " or ", h("code", {}, "[relay]"),
        ") and start it with the hub's enrollment key, printed once at the hub's first start:"),
      h("pre", {}, "rpymostat-sensor --enrollment-key KEY"),
      h("p", {}, "It finds this hub over mDNS, enrolls and appears above; then give its sensors a zone.")));
  return { onEvent(event) {
    if (event.kind !== "reading") return;
    const cell = main.querySelector(`tr[data-sensor="${CSS.escape(event.data.sensor_id)}"] .value`);
    if (cell) replace(cell, fmtTemp(event.data.value));
  } };
}
