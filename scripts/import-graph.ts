// Prints the folder-level import graph of src/, tools/ and workflows/ (dependency-cruiser, collapsed
// to one node per top-level folder) and the folder cycles in it. `npm run graph` runs it; the README's
// map of the code is drawn from this output.
import { cruise } from "dependency-cruiser";

const collapse = "^(src/[^/]+|tools|workflows|bench|scripts)";
const result = await cruise(["src", "tools", "workflows"], {
  collapse,
  tsConfig: { fileName: "tsconfig.json" },
  // Type-only imports count: a contract imported upward is a dependency even when it vanishes at run time.
  tsPreCompilationDeps: true,
  doNotFollow: { path: "node_modules" },
  exclude: { path: "node_modules" },
});
if (typeof result.output === "string") throw new Error(result.output);

const local = (path: string): boolean => /^(src|tools|workflows)(\/|$)/.test(path);
const folder = (path: string): string => path.replace(/\.ts$/, "");
const edges = new Map<string, Set<string>>();
for (const module of result.output.modules) {
  if (!local(module.source)) continue;
  const from = folder(module.source);
  const targets = edges.get(from) ?? new Set<string>();
  edges.set(from, targets);
  for (const dependency of module.dependencies) {
    if (!local(dependency.resolved)) continue;
    const to = folder(dependency.resolved);
    if (to !== from) targets.add(to);
  }
}

const names = [...edges.keys()].sort();
for (const name of names)
  process.stdout.write(`${name.padEnd(18)} -> ${[...(edges.get(name) ?? [])].sort().join(", ") || "(nothing)"}\n`);

// Folder cycles: every pair or longer loop reachable from a folder back to itself.
const cycles = new Set<string>();
const walk = (start: string, at: string, path: string[]): void => {
  for (const next of edges.get(at) ?? []) {
    if (next === start) {
      const loop = [...path];
      const smallest = loop.indexOf([...loop].sort()[0]!);
      cycles.add([...loop.slice(smallest), ...loop.slice(0, smallest)].join(" -> "));
    } else if (!path.includes(next) && path.length < 6) walk(start, next, [...path, next]);
  }
};
for (const name of names) walk(name, name, [name]);
process.stdout.write(`\nfolder cycles: ${cycles.size === 0 ? "none" : ""}\n`);
for (const cycle of [...cycles].sort()) process.stdout.write(`  ${cycle} -> ${cycle.split(" -> ")[0]}\n`);
