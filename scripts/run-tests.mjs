// Runs every check the project has — type check, lint, the scenario eval, the vitest suite — and ends with the plain
// line CI reads: "N passed, N failed". Type check and lint count as one check each, so a run that
// executed no test, or stopped before the tests, is visible in that line.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = (name) => join(process.cwd(), "node_modules", ".bin", name);
const run = (command, args) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(127));
  });

let passed = 0;
let failed = 0;
const extra = process.argv.slice(2);

// Real parts the tests start: installed from Debian's packages when missing (as root, or with sudo).
// A part that cannot be installed fails the run; no test is skipped for lack of it.
const missing = [];
if (!existsSync("/usr/bin/tmux") && !existsSync("/bin/tmux")) missing.push("tmux");
if (!existsSync("/usr/bin/prometheus-alertmanager")) missing.push("prometheus-alertmanager");
if (missing.length > 0) {
  process.stdout.write(`\n== installing real parts the tests need: ${missing.join(", ")}\n`);
  const root = process.getuid?.() === 0;
  const apt = root ? ["apt-get"] : ["sudo", "-n", "apt-get"];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const step = (args) =>
    new Promise((resolve) => {
      const child = spawn(apt[0], [...apt.slice(1), ...args], { stdio: "inherit", env });
      child.on("exit", (code) => resolve(code ?? 1));
      child.on("error", () => resolve(127));
    });
  const ok =
    (await step(["update", "-qq"])) === 0 &&
    (await step(["install", "-y", "-qq", "--no-install-recommends", ...missing])) === 0;
  if (!ok) {
    process.stdout.write(`could not install ${missing.join(", ")}: the tests that need them will fail\n`);
  }
}

for (const [label, command, args] of [
  ["type check", bin("tsc"), ["-p", "tsconfig.json"]],
  ["lint", bin("eslint"), ["."]],
  // The formatter is part of lint: a file Prettier would change fails the run (`npm run format` fixes it).
  ["format (prettier --check)", bin("prettier"), ["--check", "--log-level", "warn", "."]],
  // Every scenario must name its expected root cause: the investigator's accuracy is a check too.
  [
    "scenario eval (fathom eval scenarios --min-top1 100)",
    process.execPath,
    [join(process.cwd(), "bin", "fathom.mjs"), "eval", "scenarios", "--min-top1", "100"],
  ],
]) {
  process.stdout.write(`\n== ${label}\n`);
  const code = await run(command, args);
  if (code === 0) passed += 1;
  else {
    failed += 1;
    process.stdout.write(`${label} failed (exit ${code})\n`);
  }
}

process.stdout.write("\n== vitest\n");
const dir = mkdtempSync(join(tmpdir(), "fathom-vitest-"));
const out = join(dir, "results.json");
const code = await run(bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${out}`,
  ...extra,
]);
try {
  const results = JSON.parse(readFileSync(out, "utf8"));
  passed += results.numPassedTests ?? 0;
  failed += results.numFailedTests ?? 0;
  // A suite that fails to load has no failed tests of its own: count it, or it would vanish.
  if ((results.numFailedTests ?? 0) === 0) failed += results.numFailedTestSuites ?? 0;
} catch {
  failed += 1;
  process.stdout.write(`vitest produced no results (exit ${code})\n`);
}
rmSync(dir, { recursive: true, force: true });
if (code !== 0 && failed === 0) failed += 1;
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
