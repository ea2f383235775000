// The API's validation messages beside the fields they concern. A 422 names JSON paths
// (`/target/heat_setpoint`), a 409 names fields (`interval`); a field is found by its
// data-field, or by the path's first part; anything unplaced goes to the form's top.
import { replace } from "./dom.js";

function problems(error) {
  const details = Array.isArray(error.details) ? error.details : [];
  const found = details.map((d) => ({ where: (d.path || d.field || "").replace(/^\//, ""), message: d.message }))
    .filter((d) => d.message);
  return found.length ? found : [{ where: "", message: error.message }];
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll("[data-error-for]")) { node.hidden = true; replace(node); }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

export function showErrors(form, error, aliases = {}) {
  clearErrors(form);
  let first = null;
  for (const { where, message } of problems(error)) {
    const name = aliases[where] || where;
    const candidates = [name, name.split("/")[0], ""];
    const slot = candidates.map((c) => form.querySelector(`[data-error-for="${CSS.escape(c)}"]`)).find(Boolean);
    if (!slot) continue;
    slot.hidden = false;
    slot.append((slot.textContent ? "; " : "") + message);
    const input = form.querySelector(`[data-field="${CSS.escape(slot.dataset.errorFor)}"]`);
    if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
  }
  if (first) first.focus();
}
