/**
 * The serve benchmark (issue 7): a burst of 1,000 Alertmanager notifications over 50 distinct
 * incidents against `fathom serve` on loopback. Prints acknowledgement latency p50/p99, how many
 * investigations started (target: exactly 50), the server's peak RSS, and the time until all 50
 * reports were stored. Reports figures; never fails on a missed target.
 *   node bench/serve.ts
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { withFaults } from "../src/fixtures/fault.ts";
import { FAULTS } from "../src/fixtures/faults/index.ts";
import { writeBundleDir } from "../src/fixtures/write-bundle.ts";
import { openStore } from "../src/store/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".bench", "serve");
const TOKEN = "bench-token-0123456789abcdef";
const INCIDENTS = 50;
const NOTIFICATIONS = 1000;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, "bundles"), { recursive: true });
  await writeBundleDir(
    withFaults({}, (FAULTS["conntrack-table-full"] as () => never)()),
    join(work, "bundles", "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9"),
  );
  const store = join(work, "fathom.db");
  const port = 30_000 + (process.pid % 10_000);
  const child = spawn(
    process.execPath,
    [
      join(root, "bin", "fathom.mjs"),
      "serve",
      "--bundles",
      join(work, "bundles"),
      "--store",
      store,
      "--port",
      String(port),
      "--queue",
      "200",
      "--concurrency",
      "2",
    ],
    {
      env: { ...process.env, FATHOM_ALERTMANAGER_TOKEN: TOKEN, FATHOM_LOG_LEVEL: "error" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      if (/listening on/.test(err)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const url = `http://127.0.0.1:${port}/webhooks/alertmanager`;
  const payload = (i: number) => {
    const incident = i % INCIDENTS;
    return JSON.stringify({
      version: "4",
      status: "firing",
      receiver: "fathom",
      groupKey: `{}:{alertname="Bench${incident}"}`,
      truncatedAlerts: 0,
      groupLabels: { alertname: `Bench${incident}` },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: "http://am",
      alerts: [
        {
          status: "firing",
          labels: { alertname: `Bench${incident}`, node: "ip-10-0-12-34.ec2.internal" },
          annotations: {},
          startsAt: "2026-11-24T10:25:00Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: `f${incident}`,
        },
      ],
    });
  };
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const limit = pLimit(64);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: NOTIFICATIONS }, (_, i) =>
      limit(async () => {
        const start = performance.now();
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: payload(i),
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
    ),
  );
  const burstMs = performance.now() - t0;
  let reports = 0;
  let investigations = 0;
  for (;;) {
    const s = openStore(store);
    const list = s.listInvestigations({ limit: 1000 });
    investigations = list.length;
    reports = list.filter((i) => s.getInvestigation(i.id)?.report).length;
    s.close();
    if (reports >= INCIDENTS || performance.now() - t0 > 600_000) break;
    await sleep(200);
  }
  const allReportsMs = performance.now() - t0;
  const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
  const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  child.kill("SIGTERM");
  latencies.sort((a, b) => a - b);
  console.log(
    `\nfathom serve burst: ${NOTIFICATIONS} Alertmanager notifications over ${INCIDENTS} incidents (64 in flight)`,
  );
  console.log(
    `  acknowledgement latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms; burst took ${Math.round(burstMs)} ms; statuses ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`,
  );
  console.log(
    `  investigations started: ${investigations} (target exactly ${INCIDENTS}: ${investigations === INCIDENTS ? "PASS" : "MISS"})`,
  );
  console.log(`  all ${INCIDENTS} reports stored after ${Math.round(allReportsMs)} ms (${reports} stored)`);
  console.log(`  serve peak RSS: ${peakRssMb.toFixed(1)} MB`);
}

await main();
