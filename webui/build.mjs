// Builds the web UI into ../rpymostat_webui/static: index.html, hashed bundles under assets/
// (code split so that uPlot loads only with the history screen), and a .gz of each file.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "rpymostat_webui", "static");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, "src", "app.js") },
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const entry = (ext) => {
  const found = outputs.find(([path, info]) => info.entryPoint && path.endsWith(ext))
    || outputs.find(([path]) => path.includes("/app-") && path.endsWith(ext));
  return found ? "assets/" + found[0].split("/assets/")[1] : null;
};
const script = entry(".js");
const style = entry(".css");
let html = readFileSync(join(here, "src", "index.html"), "utf8");
html = html.replace("%SCRIPT%", script).replace("%STYLE%", style);
writeFileSync(join(out, "index.html"), html);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (!name.endsWith(".gz")) writeFileSync(path + ".gz", gzipSync(readFileSync(path), { level: 9 }));
  }
}
walk(out);
for (const [path, info] of outputs) {
  console.log(`${relative(join(here, ".."), join(here, "..", path.replace(/^\.\.\//, "")))}\t${info.bytes} B`);
}
