// The folder-level import graph of src/, tools/ and workflows/ (dependency-cruiser, collapsed to one
// node per top-level folder, type-only imports included) and the folder cycles in it.
// `npm run graph` prints it; the README's map of the code is drawn from it, and a test keeps it acyclic.
import { cruise } from "dependency-cruiser";

export type FolderGraph = Map<string, Set<string>>;

const local = (path: string): boolean => /^(src|tools|workflows)(\/|$)/.test(path);
const folder = (path: string): string => path.replace(/\.ts$/, "");

/** Which folder imports which, from the sources under `cwd`. */
export async function folderGraph(): Promise<FolderGraph> {
  const result = await cruise(["src", "tools", "workflows"], {
    collapse: "^(src/[^/]+|tools|workflows)",
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports count: a contract imported upward is a dependency even when it vanishes at run time.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
  });
  if (typeof result.output === "string") throw new Error(result.output);
  const edges: FolderGraph = new Map();
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
  return edges;
}

/** Every elementary loop from a folder back to itself (up to eight folders long), smallest name first. */
export function folderCycles(edges: FolderGraph): string[] {
  const cycles = new Set<string>();
  const walk = (start: string, at: string, path: string[]): void => {
    for (const next of edges.get(at) ?? []) {
      if (next === start) {
        const smallest = path.indexOf([...path].sort()[0] ?? start);
        cycles.add([...path.slice(smallest), ...path.slice(0, smallest), path[smallest]].join(" -> "));
      } else if (!path.includes(next) && path.length < 8) walk(start, next, [...path, next]);
    }
  };
  for (const name of edges.keys()) walk(name, name, [name]);
  return [...cycles].sort();
}

if (import.meta.main) {
  const edges = await folderGraph();
  for (const name of [...edges.keys()].sort()) {
    const targets = [...(edges.get(name) ?? [])].sort();
    process.stdout.write(`${name.padEnd(18)} -> ${targets.join(", ") || "(nothing)"}\n`);
  }
  const cycles = folderCycles(edges);
  process.stdout.write(`\nfolder cycles: ${cycles.length === 0 ? "none" : cycles.length}\n`);
  for (const cycle of cycles) process.stdout.write(`  ${cycle}\n`);
}
