// Settings and plugins: the hub's settings and each installed plugin's settings, as forms
// generated from the JSON Schemas that the OpenAPI document and GET /v1/plugins carry.
import { api, get } from "../api.js";
import { h, replace } from "../dom.js";
import { clearErrors, showErrors } from "../forms.js";
import { schemaFields } from "../schemaform.js";

const KINDS = { decision: "Decision plugins", aggregation: "Aggregation plugins", schedule: "Schedule plugins (chosen per zone through the API)",
  sensor_driver: "Sensor drivers (set on each sensor node)", relay_driver: "Relay drivers (set on each relay node)" };

function settingsForm(title, schema, values, save, id, whole = false) {
  const fields = schemaFields(schema, values);
  const status = h("p", { class: "saved", role: "status" });
  const form = h("form", { novalidate: true, "aria-labelledby": id, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(status);
    const changes = whole ? fields.values() : fields.changes();
    if (!whole && !Object.keys(changes).length) { replace(status, "Nothing changed."); return; }
    try {
      await save(changes);
      replace(status, "Saved.");
    } catch (error) {
      showErrors(form, error);
    }
  } }, h("h3", { id }, title), h("p", { class: "error", "data-error-for": "", hidden: true, role: "alert" }),
  fields.nodes, h("p", { class: "actions" }, h("button", { type: "submit" }, `Save ${title}`)), status);
  return form;
}

export async function settingsScreen(main, _params, ctx) {
  const [document, plugins, settings] = await Promise.all([get("/v1/openapi.json"), get("/v1/plugins"), get("/v1/settings")]);
  const save = async (changes) => { ctx.settings = await api("PATCH", "/v1/settings", changes); };
  const hubSchema = document.components.schemas.SettingsPatch;
  const sections = Object.entries(KINDS).map(([kind, title]) => {
    const found = plugins.plugins[kind] || [];
    const readOnly = kind.endsWith("_driver") || kind === "schedule";
    return h("section", { class: "plugins" }, h("h2", {}, title),
      found.length ? found.map((plugin) => {
        const id = `plugin-${kind}-${plugin.name}`;
        if (plugin.error) return h("p", { class: "error" }, `${plugin.name}: ${plugin.error}`);
        const schema = plugin.settings_schema || {};
        if (!Object.keys(schema.properties || {}).length) return h("p", { id }, `${plugin.name}: no settings.`);
        if (readOnly) return h("div", { class: "card" }, h("h3", { id }, plugin.name), h("p", { class: "hint" }, schema.description || ""),
          h("ul", {}, Object.entries(schema.properties).map(([name, sub]) => h("li", {}, `${name}: ${sub.description || sub.type || ""}`))));
        // Decision and aggregation plugins read the hub's settings of the same names.
        return h("div", { class: "card" }, settingsForm(plugin.name, schema, settings, save, id));
      }) : h("p", {}, "None installed."));
  });
  // A zone's overrides of the control settings: empty fields follow the hub's.
  const zoneSchema = document.components.schemas.ZoneSettings;
  const zones = await Promise.all(ctx.zones.map((z) => get(`/v1/zones/${z.id}`)));
  const overrides = zones.map((zone) => h("section", { class: "card" },
    settingsForm(`${zone.name} overrides`, zoneSchema, zone.settings,
      (values) => api("PATCH", `/v1/zones/${zone.id}`, { settings: values }), `zone-${zone.id}-settings`, true),
    h("p", { class: "hint" }, "Empty fields follow the hub's settings.")));
  replace(main, h("h1", {}, "Settings"),
    h("section", { class: "card" }, settingsForm("hub settings", hubSchema, settings, save, "hub-settings")),
    overrides, sections);
  return null;
}
