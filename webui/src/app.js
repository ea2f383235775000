// The app shell: sign-in, navigation (hash routes, so the server serves one page), the
// live stream, and the screens, each a module that renders into <main>.
import "./style.css";
import "uplot/dist/uPlot.min.css";
import { get, session, whenUnauthorized } from "./api.js";
import { h, replace } from "./dom.js";
import { startLive } from "./live.js";
import { applyTheme, setHubDefaults, setTheme, setUnits, theme, units } from "./prefs.js";
import { signinScreen, signInWithCode } from "./screens/signin.js";
import { zonesScreen } from "./screens/zones.js";
import { adjustScreen } from "./screens/adjust.js";
import { scheduleScreen } from "./screens/schedule.js";
import { historyScreen, logScreen } from "./screens/history.js";
import { devicesScreen } from "./screens/devices.js";
import { settingsScreen } from "./screens/settings.js";
import { tokensScreen } from "./screens/tokens.js";

const ROUTES = [
  [/^#\/zones$/, zonesScreen, "Zones"],
  [/^#\/zone\/(\d+)$/, adjustScreen, "Adjust"],
  [/^#\/schedule(?:\/(\d+))?$/, scheduleScreen, "Schedule"],
  [/^#\/history(?:\/(\d+))?$/, historyScreen, "History"],
  [/^#\/log(?:\/(\d+))?$/, logScreen, "Decision log"],
  [/^#\/devices$/, devicesScreen, "Devices"],
  [/^#\/settings$/, settingsScreen, "Settings"],
  [/^#\/tokens$/, tokensScreen, "Tokens"],
];
const NAV = [["#/zones", "Zones"], ["#/schedule", "Schedule"], ["#/history", "History"], ["#/log", "Log"],
  ["#/devices", "Devices"], ["#/settings", "Settings"], ["#/tokens", "Tokens"]];

const main = document.getElementById("main");
const ctx = { zones: [], settings: {}, screen: null };
let stopLive = null;
let navigation = 0;

function setLive(mode) {
  const text = { live: "Live", polling: "Updates every 10 s (live stream reconnecting)" }[mode] || "";
  replace(document.getElementById("live"), text);
  document.body.dataset.live = mode;
}

function onEvent(event) {
  if (event.kind === "hello") return;
  if (event.kind === "reset" || (event.kind === "change" && ctx.screen && !ctx.screen.onEvent)) {
    route();
    return;
  }
  if (ctx.screen && ctx.screen.onEvent) ctx.screen.onEvent(event);
}

function renderChrome() {
  const here = location.hash.split("/").slice(0, 2).join("/");
  replace(document.getElementById("nav"), session.token ? NAV.map(([href, label]) =>
    h("a", { href, "aria-current": here === href ? "page" : null }, label)) : null);
  const unitSelect = h("select", { id: "units", "aria-label": "Temperature units",
    onchange: (e) => { setUnits(e.target.value); route(); } },
  h("option", { value: "C", selected: units() === "C" }, "°C"), h("option", { value: "F", selected: units() === "F" }, "°F"));
  const themeSelect = h("select", { id: "theme", "aria-label": "Theme", onchange: (e) => setTheme(e.target.value) },
    ["auto", "light", "dark"].map((t) => h("option", { value: t, selected: theme() === t }, t)));
  replace(document.getElementById("prefs"), unitSelect, themeSelect);
}

async function loadContext() {
  const [status, settings] = await Promise.all([get("/v1/status"), get("/v1/settings")]);
  ctx.zones = status.zones;
  ctx.settings = settings;
  ctx.status = status;
  setHubDefaults(settings);
}

async function route() {
  const mine = ++navigation;
  delete main.dataset.ready;
  if (ctx.screen && ctx.screen.dispose) ctx.screen.dispose();
  ctx.screen = null;
  const hash = location.hash || "#/zones";
  const code = hash.match(/^#\/signin\/([A-Za-z0-9_-]+)$/);
  if (code) {
    await signInWithCode(main, code[1], () => { location.replace("#/zones"); });
    return;
  }
  if (!session.token || hash === "#/signin") {
    renderChrome();
    signinScreen(main, () => { location.hash = "#/zones"; start(); });
    return;
  }
  try {
    await loadContext();
  } catch (error) {
    if (error.status !== 401) replace(main, h("p", { class: "error", role: "alert" }, `Could not reach the hub: ${error.message}`));
    return;
  }
  if (mine !== navigation) return;
  renderChrome();
  const found = ROUTES.map(([pattern, screen, title]) => [hash.match(pattern), screen, title]).find(([m]) => m);
  if (!found) { location.replace("#/zones"); return; }
  const [match, screen, title] = found;
  document.title = `${title} · RPyMostat`;
  // Each screen renders into a view of its own: one left behind by a quicker navigation
  // finishes into a detached node, never over the screen that replaced it.
  const view = h("div", { class: "view" });
  replace(main, view);
  const shown = (await screen(view, match.slice(1), ctx)) || null;
  if (mine !== navigation) { if (shown && shown.dispose) shown.dispose(); return; }
  ctx.screen = shown;
  main.dataset.ready = hash;  // tests wait for this: the screen has its data
  if (!stopLive) stopLive = startLive(onEvent, setLive);
}

function start() {
  if (stopLive) { stopLive(); stopLive = null; }
  route();
}

whenUnauthorized(() => {
  session.clear();
  if (stopLive) { stopLive(); stopLive = null; }
  location.hash = "#/signin";
});
applyTheme();
window.addEventListener("hashchange", route);
route();
