// The person's preferences, kept in this browser: units (°C/°F; the API always speaks °C)
// and theme. The hub's `units` setting is the default until a browser chooses.
const UNITS = "rpymostat.units";
const THEME = "rpymostat.theme";
let hubUnits = "C";
let timezone = "UTC";

export function setHubDefaults(settings) {
  hubUnits = settings.units || "C";
  timezone = settings.timezone || "UTC";
}
export const units = () => localStorage.getItem(UNITS) || hubUnits;
export function setUnits(value) { localStorage.setItem(UNITS, value); }
export const theme = () => localStorage.getItem(THEME) || "auto";
export function setTheme(value) {
  localStorage.setItem(THEME, value);
  applyTheme();
}
export function applyTheme() {
  const chosen = theme();
  if (chosen === "auto") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", chosen);
}
export const hubTimezone = () => timezone;

export function toShown(celsius) {
  return units() === "F" ? celsius * 9 / 5 + 32 : celsius;
}
export function fromShown(value) {
  return units() === "F" ? (value - 32) * 5 / 9 : value;
}
export function fmtTemp(celsius, digits = 1) {
  if (celsius === null || celsius === undefined) return "—";
  return `${toShown(celsius).toFixed(digits)} °${units()}`;
}
export function fmtTime(iso, withDate = false) {
  if (!iso) return "—";
  const options = withDate
    ? { timeZone: timezone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }
    : { timeZone: timezone, hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
}
export function describeTarget(target) {
  if (!target) return "—";
  const parts = [target.mode];
  if (["heat", "auto"].includes(target.mode) && target.heat_setpoint != null) parts.push(`heat to ${fmtTemp(target.heat_setpoint)}`);
  if (["cool", "auto"].includes(target.mode) && target.cool_setpoint != null) parts.push(`cool to ${fmtTemp(target.cool_setpoint)}`);
  return parts.join(", ");
}
