// Signing in: a link from `rpymostat login-link` carries a one-time code in the URL's
// fragment, traded here for this browser's own token; or a token is pasted.
import { api, session } from "../api.js";
import { field, h, replace } from "../dom.js";

function browserName() {
  const agent = navigator.userAgent;
  const browser = /Firefox\//.test(agent) ? "Firefox" : /Edg\//.test(agent) ? "Edge"
    : /Chrom(e|ium)\//.test(agent) ? "Chromium" : /Safari\//.test(agent) ? "Safari" : "browser";
  const system = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS"
    : /Mac OS X/.test(agent) ? "macOS" : /Windows/.test(agent) ? "Windows" : /Linux/.test(agent) ? "Linux" : "";
  return `${browser}${system ? ` on ${system}` : ""}, ${new Date().toISOString().slice(0, 10)}`;
}

export async function signInWithCode(main, code, done) {
  replace(main, h("h1", {}, "Signing in…"));
  history.replaceState(null, "", "#/signin");
  try {
    const made = await api("POST", "/v1/login", { code, name: browserName() });
    session.save(made.token, made.token_id);
    done();
  } catch (error) {
    signinScreen(main, done, error.message);
  }
}

export function signinScreen(main, done, problem) {
  const input = h("input", { type: "password", autocomplete: "off", spellcheck: "false" });
  const form = h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    const error = form.querySelector("[data-error-for=token]");
    try {
      await api("GET", "/v1/status", undefined, { token });
      session.save(token, null);
      done();
    } catch (failure) {
      error.hidden = false;
      replace(error, failure.message);
      input.setAttribute("aria-invalid", "true");
    }
  } }, field("Admin token", input, "token"), h("button", { type: "submit" }, "Sign in"));
  replace(main,
    h("h1", {}, "Sign in"),
    problem ? h("p", { class: "error", role: "alert" }, problem) : null,
    h("p", {}, "Open a sign-in link: run ", h("code", {}, "rpymostat login-link"),
      " on the hub's machine and open the link it prints (it works once, for 10 minutes). Or paste an admin token:"),
    form);
}
