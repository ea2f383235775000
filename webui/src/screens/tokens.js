// Tokens and the browsers signed in, with revoke; signing this browser out revokes its token.
import { api, get, session } from "../api.js";
import { h, replace } from "../dom.js";
import { fmtTime } from "../prefs.js";

const BROWSER = "browser: ";

export async function tokensScreen(main) {
  const { tokens } = await get("/v1/tokens");
  const active = tokens.filter((t) => !t.revoked);
  const row = (t) => h("li", { "data-token": t.id },
    h("span", {}, `${t.name.startsWith(BROWSER) ? t.name.slice(BROWSER.length) : t.name} · ${t.role}${t.node_id ? ` · node ${t.node_id}` : ""} · since ${fmtTime(t.created, true)}`),
    t.id === session.tokenId ? h("strong", {}, " (this browser)") : null, " ",
    h("button", { type: "button", class: "danger", onclick: async (e) => {
      const status = e.target.parentNode.querySelector(".error") || e.target.parentNode.appendChild(h("span", { class: "error", role: "status" }));
      try {
        await api("DELETE", `/v1/tokens/${t.id}`);
        if (t.id === session.tokenId) { session.clear(); location.hash = "#/signin"; return; }
        tokensScreen(main);
      } catch (error) { replace(status, ` ${error.message}`); }
    } }, t.id === session.tokenId ? "Sign out" : `Revoke ${t.name}`));
  replace(main, h("h1", {}, "Tokens"),
    h("h2", {}, "Browsers signed in"),
    h("ul", { class: "tokens" }, active.filter((t) => t.name.startsWith(BROWSER)).map(row)),
    h("h2", {}, "Other tokens"),
    h("ul", { class: "tokens" }, active.filter((t) => !t.name.startsWith(BROWSER)).map(row)),
    h("p", { class: "hint" }, "Sign another browser in with a link from ", h("code", {}, "rpymostat login-link"), "."));
  return null;
}
