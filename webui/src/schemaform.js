// A form generated from a JSON Schema (an object of numbers, integers, strings, enums and
// booleans, as plugins declare their settings), so that a new plugin's settings appear
// on the screen with no change to the UI. Bounds are shown as hints; the hub checks them.
import { field, h } from "./dom.js";

function kind(schema) {
  const types = [].concat(schema.type || "string").filter((t) => t !== "null");
  if (schema.enum) return "enum";
  return types[0] || "string";
}

function input(schema, value) {
  switch (kind(schema)) {
    case "enum":
      return h("select", {}, schema.enum.filter((v) => v !== null).map((v) => h("option", { value: String(v), selected: v === value }, String(v))));
    case "boolean":
      return h("input", { type: "checkbox", checked: Boolean(value) });
    case "number":
    case "integer":
      return h("input", { type: "number", inputmode: "decimal", step: kind(schema) === "integer" ? "1" : "any", value: value ?? "" });
    default:
      return h("input", { type: "text", value: value ?? "" });
  }
}

function read(schema, node) {
  const k = kind(schema);
  if (k === "boolean") return node.checked;
  if (k === "number" || k === "integer") return node.value === "" ? null : Number(node.value);
  if (k === "enum") return schema.enum.find((v) => String(v) === node.value);
  return node.value;
}

function hint(schema) {
  const bounds = schema.minimum !== undefined && schema.maximum !== undefined ? `${schema.minimum}–${schema.maximum}` : "";
  return [schema.description, bounds && `(${bounds})`].filter(Boolean).join(" ");
}

// {nodes, changes()}: the fields, and the values that differ from `values`.
export function schemaFields(schema, values, prefix = "") {
  const entries = Object.entries(schema.properties || {});
  const inputs = entries.map(([name, sub]) => [name, sub, input(sub, values[name] ?? sub.default)]);
  return {
    nodes: inputs.map(([name, sub, node]) => field(name.replace(/_/g, " "), node, prefix + name, hint(sub))),
    // Every field that holds a value (an empty one sets nothing).
    values() {
      const out = {};
      for (const [name, sub, node] of inputs) {
        const value = read(sub, node);
        if (value !== null && value !== "") out[name] = value;
      }
      return out;
    },
    changes() {
      const out = {};
      for (const [name, sub, node] of inputs) {
        const value = read(sub, node);
        if (value !== (values[name] ?? sub.default)) out[name] = value;
      }
      return out;
    },
  };
}
