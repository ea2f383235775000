// Adjust a zone now: setpoints in 0.5 °C steps, the mode, and how long the hold lasts
// (until the next scheduled change, for N hours, until a time, or indefinitely); cancel.
import { api, get } from "../api.js";
import { field, h, replace } from "../dom.js";
import { clearErrors, showErrors } from "../forms.js";
import { describeTarget, fmtTemp, fmtTime, toShown, units } from "../prefs.js";

const MODES = ["off", "heat", "cool", "auto", "fan"];
const STEP_C = 0.5;

function stepper(label, name, valueC) {
  let value = valueC;
  const output = h("output", { class: "setpoint", "aria-live": "polite" });
  const show = () => replace(output, fmtTemp(value));
  const change = (delta) => { value = Math.round((value + delta) * 2) / 2; show(); };
  show();
  const node = h("div", { class: "stepper field", role: "group", "aria-label": label, "data-field": name },
    h("span", { class: "label" }, label),
    h("button", { type: "button", "aria-label": `Lower ${label.toLowerCase()} by 0.5 °C`, onclick: () => change(-STEP_C) }, "−"),
    output,
    h("button", { type: "button", "aria-label": `Raise ${label.toLowerCase()} by 0.5 °C`, onclick: () => change(STEP_C) }, "+"),
    h("p", { class: "error", "data-error-for": name, hidden: true }));
  return { node, get value() { return value; } };
}

export async function adjustScreen(main, [zoneId]) {
  const [zone, state, rules] = await Promise.all([get(`/v1/zones/${zoneId}`), get(`/v1/zones/${zoneId}/state`),
    get(`/v1/rules?zone_id=${zoneId}`)]);
  const hold = rules.rules.find((r) => r.kind === "hold");
  const target = state.target;
  const heat = stepper("Heat setpoint", "target/heat_setpoint", target.heat_setpoint ?? 20);
  const cool = stepper("Cool setpoint", "target/cool_setpoint", target.cool_setpoint ?? 25);
  const mode = h("select", {}, MODES.map((m) => h("option", { value: m, selected: m === target.mode }, m)));
  const showSetpoints = () => {
    heat.node.hidden = !["heat", "auto"].includes(mode.value);
    cool.node.hidden = !["cool", "auto"].includes(mode.value);
  };
  mode.addEventListener("change", showSetpoints);
  showSetpoints();
  const hours = h("input", { type: "number", min: "0.5", step: "0.5", value: "2", inputmode: "decimal" });
  const until = h("input", { type: "datetime-local" });
  const choices = [["next", "Until the next scheduled change"], ["hours", "For a number of hours"],
    ["time", "Until a time"], ["forever", "Until I cancel it"]];
  const hoursField = field("Number of hours", hours, "hours");
  const untilField = field("Until (hub's local time)", until, "until");
  const chosen = () => how.querySelector("input[name=until]:checked").value;
  const showChoice = () => { hoursField.hidden = chosen() !== "hours"; untilField.hidden = chosen() !== "time"; };
  const how = h("fieldset", { class: "field", onchange: showChoice }, h("legend", {}, "Hold"),
    choices.map(([value, label], i) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "until", value, checked: i === 0 }), " ", label)),
    hoursField, untilField);
  showChoice();

  const form = h("form", { novalidate: true, class: "adjust", onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { target: { ...target, mode: mode.value }, until: null };
    if (["heat", "auto"].includes(mode.value)) body.target.heat_setpoint = heat.value; else delete body.target.heat_setpoint;
    if (["cool", "auto"].includes(mode.value)) body.target.cool_setpoint = cool.value; else delete body.target.cool_setpoint;
    if (chosen() === "next") body.until = "next";
    else if (chosen() === "hours") body.until = `PT${Math.round(Number(hours.value) * 60)}M`;
    else if (chosen() === "time") body.until = until.value || "";
    try {
      await api("PUT", `/v1/zones/${zoneId}/hold`, body);
      location.hash = "#/zones";
    } catch (error) {
      showErrors(form, error, { "until": chosen() === "hours" ? "hours" : "until" });
    }
  } },
  h("p", { class: "error", "data-error-for": "", hidden: true, role: "alert" }),
  field("Mode", mode, "target/mode"), heat.node, cool.node, how,
  h("p", { class: "actions" }, h("button", { type: "submit" }, "Apply")));

  const cancel = hold ? h("button", { type: "button", class: "secondary", onclick: async () => {
    await api("DELETE", `/v1/zones/${zoneId}/hold`);
    location.hash = "#/zones";
  } }, "Cancel the hold") : null;

  replace(main, h("h1", {}, `Adjust ${zone.name}`),
    h("p", {}, "Now ", h("strong", { class: "temp" }, fmtTemp(state.temperature)), " · target ", describeTarget(target),
      state.next_change ? ` · next change ${fmtTime(state.next_change, true)}` : ""),
    hold ? h("p", { class: "note" }, `A hold is on${hold.end ? ` until ${fmtTime(hold.end, true)}` : " until cancelled"}. `, cancel) : null,
    form,
    h("p", { class: "hint" }, units() === "C" ? "Steps of 0.5 °C." : `Steps of 0.5 °C (${(toShown(0.5) - toShown(0)).toFixed(1)} °F).`));
}
