import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const RUN_ONE = join(dirname(fileURLToPath(import.meta.url)), "run-one.ts");
const CHILD_TIMEOUT_MS = 20 * 60_000;

export interface ChildResult<T> {
  ok: boolean;
  value: T | undefined;
  error: string | undefined;
  wallMs: number;
}

/** Runs bench/run-one.ts in a fresh Node process and parses the JSON line it prints. */
export async function runChild<T>(args: readonly string[], nodeFlags: readonly string[] = []): Promise<ChildResult<T>> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, RUN_ONE, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (c, s) => resolve({ code: c, signal: s })),
  );
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  const line = stdout.trim().split("\n").pop() ?? "";
  let value: (T & { error?: string }) | undefined;
  try {
    value = line ? (JSON.parse(line) as T & { error?: string }) : undefined;
  } catch {
    value = undefined;
  }
  const error =
    value?.error ??
    (code === 0 ? undefined : `exit ${code ?? signal}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return { ok: code === 0 && value !== undefined && !value.error, value, error, wallMs };
}

/** Splits a JS regex source that is an alternation of escaped literals; undefined if it is anything else. */
export function literalsOf(source: string): string[] | undefined {
  const literals: string[] = [];
  let current = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === "\\") {
      const next = source[++i];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined; // \d, \s, \b, \1 …: not a literal
      current += next;
    } else if (c === "|") {
      literals.push(current);
      current = "";
    } else if (".*+?^$()[]{}".includes(c)) {
      return undefined;
    } else current += c;
  }
  literals.push(current);
  return literals.every((l) => l.length > 0) ? literals : undefined;
}

/** The same literals as a POSIX ERE alternation for `grep -E`. */
export function toEre(literals: readonly string[]): string {
  return literals.map((l) => l.replace(/[.[\]()*+?{}|^$\\]/g, "\\$&")).join("|");
}

export interface GrepRun {
  wallMs: number;
  cpuMs: number | undefined;
  count: number;
}

/** `LC_ALL=C grep -cE <pattern> <file>`, timed (CPU time through /usr/bin/time when present). */
export async function timeGrep(pattern: string, file: string): Promise<GrepRun> {
  const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const argv = timeBin
    ? [timeBin, "-f", "@@time %e %U %S", "grep", "-c", "-E", "-e", pattern, "--", file]
    : ["grep", "-c", "-E", "-e", pattern, "--", file];
  const t0 = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LC_ALL: "C" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const wallMs = performance.now() - t0;
  if (code !== 0 && code !== 1) throw new Error(`grep failed (exit ${code}): ${stderr.slice(0, 300)}`);
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
  return { wallMs, cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : undefined, count: Number(stdout.trim()) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self-time shares of the hottest functions in the newest .cpuprofile of a folder. */
export async function summarizeCpuProfile(dir: string, top = 12): Promise<Array<{ share: number; where: string }>> {
  const files = (await readdir(dir)).filter((n) => n.endsWith(".cpuprofile")).sort();
  const newest = files.pop();
  if (!newest) return [];
  const profile = JSON.parse(await readFile(join(dir, newest), "utf8")) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1;
  const byFrame = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url
      .replace(/^file:\/\//, "")
      .split("/")
      .slice(-3)
      .join("/");
    const name = functionName.startsWith("RegExp: ")
      ? `RegExp: ${functionName.slice(8, 70)}…`
      : functionName || "(anonymous)";
    const key = file ? `${name} (${file}:${lineNumber + 1})` : name;
    byFrame.set(key, (byFrame.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  return [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, hits]) => ({ share: hits / total, where }));
}
