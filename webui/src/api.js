// The hub's REST API from the browser: the token lives in this browser's storage and
// travels as a header (never a cookie); errors keep the API's code, message and details.
const TOKEN = "rpymostat.token";
const TOKEN_ID = "rpymostat.token_id";

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  get tokenId() { const id = localStorage.getItem(TOKEN_ID); return id ? Number(id) : null; },
  save(token, tokenId) {
    localStorage.setItem(TOKEN, token);
    if (tokenId) localStorage.setItem(TOKEN_ID, String(tokenId)); else localStorage.removeItem(TOKEN_ID);
  },
  clear() { localStorage.removeItem(TOKEN); localStorage.removeItem(TOKEN_ID); },
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `the hub answered ${status}`);
    this.status = status;
    this.code = error.code || "http_" + status;
    this.details = error.details;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

export async function api(method, path, body, { token } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token || session.token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !token) onUnauthorized(error);
    throw error;
  }
  return data;
}

export const get = (path) => api("GET", path);
