/**
 * The investigation benchmark (issue 4): lanes really run concurrently, cold start to report, and
 * an incident over 20 nodes. Prints figures with their targets; never fails on a missed target.
 *   node bench/investigation.ts
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withFaults } from "../src/fixtures/fault.ts";
import { FAULTS } from "../src/fixtures/faults/index.ts";
import { healthyBaseline } from "../src/fixtures/baseline.ts";
import { writeBundleDir } from "../src/fixtures/write-bundle.ts";
import { median } from "./lib.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".bench", "investigation");
const CHILD = join(root, "bench", "investigation-child.ts");
const LATENCY_MS = 200;

function run(command: string, args: string[]): Promise<{ wallMs: number; stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.on("close", (code) => resolve({ wallMs: performance.now() - t0, stdout, code }));
  });
}

async function child<T>(args: string[]): Promise<T> {
  const result = await run(process.execPath, [CHILD, ...args]);
  return JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as T;
}

const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

async function main(): Promise<void> {
  await rm(work, { recursive: true, force: true });
  const one = join(work, "one");
  await mkdir(one, { recursive: true });
  await writeBundleDir(withFaults({}, (FAULTS["conntrack-table-full"] as () => never)()), join(one, "node-1"));
  const twenty = join(work, "twenty");
  for (let i = 1; i <= 20; i += 1) {
    const files =
      i === 7
        ? withFaults(
            { seed: i, nodeName: `ip-10-0-1-${i}.ec2.internal`, instanceId: `i-0${String(i).padStart(16, "0")}` },
            (FAULTS["disk-full"] as () => never)(),
          )
        : healthyBaseline({
            seed: i,
            nodeName: `ip-10-0-1-${i}.ec2.internal`,
            instanceId: `i-0${String(i).padStart(16, "0")}`,
          });
    await writeBundleDir(files, join(twenty, `node-${String(i).padStart(2, "0")}`));
  }

  console.log(`\nfathom investigation benchmark (${LATENCY_MS} ms artificial latency per tool call where noted)\n`);
  type Run = {
    wallMs: number;
    toolCalls: number;
    findings: number;
    maxRssMB: number;
    rootCause: string;
    lanes: Record<string, number>;
  };
  const seq: Run[] = [];
  const con: Run[] = [];
  for (let i = 0; i < 3; i += 1) {
    seq.push(await child<Run>(["run", "--bundles", one, "--latency", String(LATENCY_MS), "--sequential"]));
    con.push(await child<Run>(["run", "--bundles", one, "--latency", String(LATENCY_MS)]));
  }
  const lanesAlone = await child<{ perLane: Record<string, number> }>([
    "lanes",
    "--bundles",
    one,
    "--latency",
    String(LATENCY_MS),
  ]);
  const seqMs = median(seq.map((r) => r.wallMs));
  const conMs = median(con.map((r) => r.wallMs));
  const slowest = Math.max(...Object.values(lanesAlone.perLane));
  const ratio = seqMs / conMs;
  console.log(
    `concurrency: sequential ${seqMs} ms, concurrent ${conMs} ms, ratio ${ratio.toFixed(2)} (target >= 3.2: ${verdict(ratio >= 3.2)})`,
  );
  console.log(
    `  each lane alone: ${Object.entries(lanesAlone.perLane)
      .map(([l, ms]) => `${l} ${ms} ms`)
      .join(", ")}`,
  );
  console.log(
    `  concurrent vs slowest lane alone: ${(conMs / slowest).toFixed(2)}x (target <= 1.2: ${verdict(conMs / slowest <= 1.2)})`,
  );
  console.log(
    `  tool calls per investigation: ${con[0]?.toolCalls}, findings: ${con[0]?.findings}, answer: ${con[0]?.rootCause}`,
  );

  const cold: number[] = [];
  let calls = 0;
  let findings = 0;
  for (let i = 0; i < 10; i += 1) {
    const r = await run(process.execPath, [
      join(root, "bin", "fathom.mjs"),
      "investigate",
      "--bundle",
      join(one, "node-1"),
      "--format",
      "json",
    ]);
    cold.push(r.wallMs);
    const report = JSON.parse(r.stdout) as { coverage: { toolCalls: number }; findings: unknown[] };
    calls = report.coverage.toolCalls;
    findings = report.findings.length;
  }
  const coldMs = median(cold);
  console.log(
    `cold start to report (fathom investigate --format json, median of 10): ${Math.round(coldMs)} ms (target < 1000: ${verdict(coldMs < 1000)}); ${calls} tool calls, ${findings} findings`,
  );

  const scale = await child<Run & { nodes: number }>(["run", "--bundles", twenty]);
  console.log(
    `scale: one incident over ${scale.nodes} nodes: ${scale.wallMs} ms, ${scale.toolCalls} tool calls, ${scale.findings} findings, peak RSS ${scale.maxRssMB} MB, answer ${scale.rootCause}`,
  );

  const results = {
    latencyMs: LATENCY_MS,
    sequentialMs: seqMs,
    concurrentMs: conMs,
    ratio,
    lanesAlone: lanesAlone.perLane,
    coldStartMedianMs: coldMs,
    coldStartRuns: cold,
    scale,
  };
  if (!existsSync(join(root, ".bench"))) await mkdir(join(root, ".bench"), { recursive: true });
  await writeFile(join(root, ".bench", "investigation-results.json"), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
