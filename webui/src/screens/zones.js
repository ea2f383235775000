// Zones: each zone's temperature, target, mode, action and the decision's reason, what
// the schedule does next, alarms and stale sensors; sensors' readings arrive live.
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { describeTarget, fmtTemp, fmtTime } from "../prefs.js";

const ACTIONS = { idle: "Idle", heating: "Heating", cooling: "Cooling", fan: "Fan" };

function sensorLine(sensor) {
  const name = sensor.alias || sensor.name || sensor.id;
  return h("li", { "data-sensor": sensor.id, class: sensor.stale ? "stale" : null },
    h("span", {}, name), " ",
    h("span", { class: "value" }, fmtTemp(sensor.last_value)),
    sensor.stale ? h("span", { class: "badge warn" }, "stale") : null);
}

function zoneCard(zone, state, sensors) {
  const mine = sensors.filter((s) => s.zone_id === zone.id);
  const alarms = state.alarms || zone.alarms || [];
  const dropped = state.sensors_dropped || [];
  return h("article", { class: "card zone", "data-zone": zone.id, "aria-labelledby": `zone-${zone.id}` },
    h("h2", { id: `zone-${zone.id}` }, zone.name),
    h("p", { class: "now" },
      h("span", { class: "temp", "aria-label": "Temperature" }, fmtTemp(state.temperature ?? zone.temperature)),
      h("span", { class: `badge action-${state.action || zone.action}` }, ACTIONS[state.action || zone.action] || state.action)),
    h("dl", { class: "facts" },
      h("dt", {}, "Target"), h("dd", { class: "target" }, describeTarget(state.target || zone.target)),
      h("dt", {}, "Why"), h("dd", { class: "reason" }, state.reason || zone.reason || "—"),
      h("dt", {}, "Schedule"), h("dd", {}, state.why || "—"),
      h("dt", {}, "Next change"), h("dd", { class: "next" }, state.next_change ? fmtTime(state.next_change, true) : "none scheduled")),
    alarms.length ? h("ul", { class: "alarms", role: "alert" }, alarms.map((a) => h("li", {}, a.message))) : null,
    dropped.length ? h("ul", { class: "dropped" }, dropped.map((d) => h("li", {}, `${d.sensor_id}: ${d.reason}`))) : null,
    mine.length ? h("ul", { class: "sensors", "aria-label": `Sensors of ${zone.name}` }, mine.map(sensorLine)) : null,
    h("p", { class: "actions" },
      h("a", { class: "button", href: `#/zone/${zone.id}` }, "Adjust"),
      h("a", { class: "button secondary", href: `#/schedule/${zone.id}` }, "Schedule"),
      h("a", { class: "button secondary", href: `#/history/${zone.id}` }, "History"),
      h("a", { class: "button secondary", href: `#/log/${zone.id}` }, "Log")));
}

export async function zonesScreen(main, _params, ctx) {
  const list = h("div", { class: "cards" });
  replace(main, h("h1", {}, "Zones"), list);
  let sensors = [];

  // The first render uses the status the app has just read: one round trip less to a temperature.
  async function render(known) {
    const status = known || await get("/v1/status");
    const [sensorList, ...states] = await Promise.all([get("/v1/sensors"),
      ...status.zones.map((z) => get(`/v1/zones/${z.id}/state`).catch(() => ({})))]);
    sensors = sensorList.sensors;
    ctx.zones = status.zones;
    if (!status.zones.length) {
      replace(list, h("p", {}, "No zones yet. Create one with POST /v1/zones (see the API docs)."));
      return;
    }
    replace(list, status.zones.map((zone, i) => zoneCard(zone, states[i], sensors)));
  }
  await render(ctx.status);

  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => render(), 1000); };
  return {
    onEvent(event) {
      if (event.kind === "reading") {
        for (const node of list.querySelectorAll(`[data-sensor="${CSS.escape(event.data.sensor_id)}"] .value`)) {
          replace(node, fmtTemp(event.data.value));
        }
        soon();
      } else {
        soon();
      }
    },
    dispose() { clearTimeout(pending); },
  };
}
