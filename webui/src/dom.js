// A small DOM builder: text always goes in as text (never HTML), so data from the hub
// cannot inject markup, and the strict Content-Security-Policy never needs relaxing.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "for") node.htmlFor = value;
    else if (key === "value") node.value = value;
    else if (key === "checked" || key === "selected" || key === "disabled") node[key] = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A labelled field with a place for the API's message about it, found by data-field.
export function field(label, input, name, hint) {
  const id = input.id || uid("f");
  input.id = id;
  const error = h("p", { class: "error", id: `${id}-error`, "data-error-for": name, hidden: true });
  input.setAttribute("aria-describedby", `${id}-error`);
  if (name) input.dataset.field = name;
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    hint ? h("p", { class: "hint" }, hint) : null, error);
}
