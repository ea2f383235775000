// Live updates: GET /v1/events read with fetch (EventSource cannot send the token header),
// parsed as Server-Sent Events, resumed with Last-Event-ID. While the stream is down the
// screens are polled instead, and the stream is tried again with a growing delay.
import { session } from "./api.js";

const POLL_MS = 10000;

export function startLive(onEvent, onMode) {
  let lastId = null;
  let stopped = false;
  let delay = 1000;
  let poller = null;
  let controller = null;

  const polling = (on) => {
    if (on && !poller) {
      poller = setInterval(() => onEvent({ kind: "poll", data: {} }), POLL_MS);
      onMode("polling");
    } else if (!on && poller) {
      clearInterval(poller);
      poller = null;
    }
  };

  async function connect() {
    controller = new AbortController();
    const headers = { Authorization: `Bearer ${session.token}`, Accept: "text/event-stream" };
    if (lastId) headers["Last-Event-ID"] = lastId;
    const response = await fetch("/v1/events", { headers, signal: controller.signal, cache: "no-store", credentials: "omit" });
    if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
    polling(false);
    onMode("live");
    delay = 1000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  function dispatch(block) {
    let kind = "message";
    let data = "";
    let id = null;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") kind = value;
      else if (name === "data") data += (data ? "\n" : "") + value;
      else if (name === "id") id = value;
    }
    if (id !== null) lastId = id;
    if (!data) return;
    onEvent({ kind, data: JSON.parse(data) });
  }

  async function run() {
    while (!stopped) {
      try {
        await connect();
      } catch (error) {
        if (stopped) return;
      }
      if (stopped) return;
      polling(true);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 60000);
    }
  }
  run();
  return () => {
    stopped = true;
    polling(false);
    if (controller) controller.abort();
  };
}
