/**
 * `npm run bench`: runs every tool of TOOLS on a large generated bundle (folder and .tar.gz), each in
 * a fresh process, and prints wall time, throughput, peak RSS, findings and status; then the
 * headline comparison of the kubelet-journal analyzer against `grep -cE` with the same literals.
 * A benchmark reports, it does not assert: targets get a PASS/MISS word and the exit code is 0.
 *
 *   node bench/run.ts [--scale 0.1] [--runs 3] [--force] [--skip-tgz] [--profile]
 */
import { cpus, loadavg } from "node:os";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TOOLS } from "../tools/index.ts";
import { MiB } from "./gen/common.ts";
import { USAGE, parseArgs } from "./gen/params.ts";
import { BENCH_DIR, BIG_FILES, ensureLargeBundle } from "./large-bundle.ts";
import { literalsOf, median, runChild, summarizeCpuProfile, timeGrep, toEre, type GrepRun } from "./lib.ts";

const JOURNAL_TOOL = "read_kubelet_journal";
const TARGET_GREP_RATIO = 1 / 3;
const TARGET_RSS_MB = 256;

interface ToolRun {
  tool: string;
  wallMs: number;
  cpuMs: number;
  bytesRead: number;
  linesScanned: number;
  findings: number;
  status: string;
  severity?: string;
  error?: string;
  openMs?: number;
  evidenceMs?: number;
  maxRssMB?: number;
}

interface Row {
  tool: string;
  source: "dir" | "tgz";
  wallMs: number | undefined;
  cpuMs: number | undefined;
  mbPerS: number | undefined;
  peakRssMB: number | undefined;
  findings: number | undefined;
  status: string;
  openMs: number | undefined;
  bytesRead: number | undefined;
  error?: string;
}

const log = (s = "") => console.log(s);
/** Progress on a terminal only (a redirected run gets a clean table). */
const progress = (s: string) => {
  if (process.stdout.isTTY) process.stdout.write(`${s.padEnd(70)}\r`);
};
const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits));
const mbps = (bytes: number, ms: number) => (ms > 0 && bytes > 0 ? bytes / MiB / (ms / 1000) : undefined);
const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

function table(headers: string[], rows: string[][], right: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

async function clearScratch(scratch: string): Promise<void> {
  await mkdir(scratch, { recursive: true });
  for (const name of await readdir(scratch))
    if (name.startsWith("fathom-bundle-")) await rm(join(scratch, name), { recursive: true, force: true });
}

function rowOf(tool: string, source: "dir" | "tgz", result: Awaited<ReturnType<typeof runChild<ToolRun>>>): Row {
  const v = result.value;
  const row: Row = {
    tool,
    source,
    wallMs: v?.wallMs,
    cpuMs: v?.cpuMs,
    mbPerS: v ? mbps(v.bytesRead, v.wallMs) : undefined,
    peakRssMB: v?.maxRssMB,
    findings: v?.findings,
    status: v?.status ?? "failed",
    openMs: v?.openMs,
    bytesRead: v?.bytesRead,
  };
  const error = v?.error ?? result.error;
  if (error) row.error = error;
  return row;
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    log(
      `usage: node bench/run.ts [options] [--profile]\n${USAGE}\n  --profile              also CPU-profile the journal analyzer (node --cpu-prof) and print its hottest functions`,
    );
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const profile = process.argv.includes("--profile");
  const bundle = await ensureLargeBundle(args.params, {
    force: args.force,
    withTgz: !args.skipTgz,
    log: (s) => log(s),
  });
  const scratch = join(BENCH_DIR, "scratch");
  await clearScratch(scratch);
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, node ${process.version}`;

  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  log(
    `\nfathom bench — ${machine}; load average before: ${loadBefore} (other processes inflate wall times; cpu ms is the contention-robust figure)`,
  );
  log(
    `bundle ${bundle.dir}${bundle.generatedMs ? ` (generated: folder ${(bundle.generatedMs.dir / 1000).toFixed(1)} s, tar.gz ${(bundle.generatedMs.tgz / 1000).toFixed(1)} s)` : " (reused: marker matches)"}`,
  );
  log(
    `  scale ${bundle.params.scale}: kubelet.log ${fmt(bundle.sizes.kubelet / MiB, 1)} MiB, messages ${fmt(bundle.sizes.messages / MiB, 1)} MiB, conntrack.txt ${fmt(bundle.sizes.conntrack / MiB, 1)} MiB (${bundle.params.conntrackEntries} flows), iptables-save.txt ${fmt(bundle.sizes.iptables / MiB, 1)} MiB (${bundle.iptablesRules} rules); folder ${fmt(bundle.dirBytes / MiB, 1)} MiB, tar.gz ${fmt(bundle.tgzBytes === undefined ? undefined : bundle.tgzBytes / MiB, 1)} MiB; small files: ${bundle.smallFiles}`,
  );
  log(`  tools in TOOLS: ${TOOLS.length} (${TOOLS.map((t) => t.name).join(", ")})`);
  log(
    `  MB = 2^20 bytes; MB/s = bytes the tool read / its wall time; every tool runs in a fresh process (peak RSS = its own)\n`,
  );

  const noop = await runChild<{ maxRssMB: number }>(["noop"]);
  const rows: Row[] = [];
  for (const tool of TOOLS) {
    progress(`  running ${tool.name} on dir …`);
    rows.push(rowOf(tool.name, "dir", await runChild<ToolRun>(["tool", "--bundle", bundle.dir, "--tool", tool.name])));
  }
  if (bundle.tgz) {
    for (const tool of TOOLS) {
      progress(`  running ${tool.name} on tgz …`);
      rows.push(
        rowOf(
          tool.name,
          "tgz",
          await runChild<ToolRun>(["tool", "--bundle", bundle.tgz, "--tool", tool.name, "--scratch", scratch]),
        ),
      );
    }
  }
  progress("");

  log(
    table(
      ["tool", "source", "wall ms", "MB/s", "peak RSS MB", "findings", "status", "open ms", "cpu ms"],
      rows.map((r) => [
        r.tool,
        r.source,
        fmt(r.wallMs),
        fmt(r.mbPerS, 1),
        fmt(r.peakRssMB, 1),
        fmt(r.findings),
        r.status,
        fmt(r.openMs),
        fmt(r.cpuMs),
      ]),
      [false, false, true, true, true, true, false, true, true],
    ),
  );
  log(
    `  (open ms: openBundle in that child; for tgz it is the expansion, excluded from wall ms. Runtime floor: node + modules, nothing read = ${fmt(noop.value?.maxRssMB, 1)} MB RSS)`,
  );
  for (const r of rows.filter((x) => x.error)) log(`  ! ${r.tool} (${r.source}): ${r.error?.split("\n")[0]}`);

  // The .tar.gz expanded ONCE, every tool on the same opened source.
  let all:
    | {
        openMs: number;
        tools: ToolRun[];
        expandedDuringRun?: number;
        expandedAfterClose?: number;
        maxRssMB: number;
        rssAfterOpenMB: number;
      }
    | undefined;
  if (bundle.tgz) {
    const result = await runChild<NonNullable<typeof all>>(["all", "--bundle", bundle.tgz, "--scratch", scratch]);
    all = result.value;
    log(`\n.tar.gz expanded once, then all ${TOOLS.length} tools on the same source (one process):`);
    if (!all || result.error) log(`  failed: ${result.error}`);
    else {
      log(
        `  expansion ${fmt(all.openMs)} ms (${fmt(mbps(bundle.tgzBytes ?? 0, all.openMs), 1)} MB/s compressed in, ${fmt(mbps(bundle.dirBytes, all.openMs), 1)} MB/s expanded out), RSS after expansion ${fmt(all.rssAfterOpenMB, 1)} MB`,
      );
      log(
        `  ${all.tools.map((t) => `${t.tool} ${fmt(t.wallMs)} ms`).join(", ")}; total tool time ${fmt(all.tools.reduce((s, t) => s + t.wallMs, 0))} ms; peak RSS ${fmt(all.maxRssMB, 1)} MB`,
      );
      log(
        `  expanded copies present while the tools ran: ${all.expandedDuringRun ?? "?"} (decompressed once: ${verdict(all.expandedDuringRun === 1)}); after close: ${all.expandedAfterClose ?? "?"}`,
      );
    }
  }

  // Headline: the journal analyzer against grep with the same literals.
  const journalFile = join(bundle.dir, BIG_FILES.kubelet);
  let journal: Record<string, unknown> | undefined;
  const probe = await runChild<{
    tools: Array<{
      tool: string;
      prefilters: Array<{ path: string; source: string; flags: string }>;
      fullScans: string[];
    }>;
  }>(["prefilters", "--bundle", bundle.dir]);
  const fastPaths = probe.value?.tools ?? [];
  const journalPrefilter = fastPaths
    .find((t) => t.tool === JOURNAL_TOOL)
    ?.prefilters.find((p) => p.path === BIG_FILES.kubelet);
  const literals = journalPrefilter ? literalsOf(journalPrefilter.source) : undefined;
  log(
    `\nheadline: ${JOURNAL_TOOL} (whole runTool, timestamps included) vs grep on ${BIG_FILES.kubelet} (${fmt(bundle.sizes.kubelet / MiB, 1)} MB), median of ${args.runs}`,
  );
  if (!TOOLS.some((t) => t.name === JOURNAL_TOOL)) log(`  skipped: ${JOURNAL_TOOL} is not in TOOLS`);
  else if (!journalPrefilter || !literals)
    log(
      `  skipped: ${JOURNAL_TOOL} did not grep ${BIG_FILES.kubelet} with a literal-alternation prefilter (${probe.error ?? "no scanMatchingAt call recorded"})`,
    );
  else {
    const ere = toEre(literals);
    await timeGrep(ere, journalFile); // warm the page cache
    const toolRuns: ToolRun[] = [];
    const grepRuns: GrepRun[] = [];
    type ScanRun = { wallMs: number; cpuMs: number; matched: number; lineSum: number };
    const scanRuns: ScanRun[] = [];
    const protoRuns: ScanRun[] = [];
    const readRuns: Array<{ wallMs: number; cpuMs: number }> = [];
    for (let i = 0; i < args.runs; i++) {
      progress(`  run ${i + 1}/${args.runs} …`);
      const t = await runChild<ToolRun>(["tool", "--bundle", bundle.dir, "--tool", JOURNAL_TOOL]);
      if (t.value && !t.error) toolRuns.push(t.value);
      grepRuns.push(await timeGrep(ere, journalFile));
      const s = await runChild<ScanRun>([
        "scan",
        "--bundle",
        bundle.dir,
        "--path",
        BIG_FILES.kubelet,
        "--pattern",
        journalPrefilter.source,
      ]);
      if (s.value && !s.error) scanRuns.push(s.value);
      const p = await runChild<ScanRun>([
        "scan-regex",
        "--bundle",
        bundle.dir,
        "--path",
        BIG_FILES.kubelet,
        "--pattern",
        journalPrefilter.source,
      ]);
      if (p.value && !p.error) protoRuns.push(p.value);
      const r = await runChild<{ wallMs: number; cpuMs: number }>([
        "read",
        "--bundle",
        bundle.dir,
        "--path",
        BIG_FILES.kubelet,
      ]);
      if (r.value && !r.error) readRuns.push(r.value);
    }
    const size = bundle.sizes.kubelet;
    const toolMs = median(toolRuns.map((r) => r.wallMs));
    const toolCpu = median(toolRuns.map((r) => r.cpuMs));
    const grepMs = median(grepRuns.map((r) => r.wallMs));
    const grepCpuRuns = grepRuns.map((r) => r.cpuMs).filter((x): x is number => x !== undefined);
    const grepCpu = grepCpuRuns.length ? median(grepCpuRuns) : undefined;
    const scanMs = scanRuns.length ? median(scanRuns.map((r) => r.wallMs)) : undefined;
    const readMs = readRuns.length ? median(readRuns.map((r) => r.wallMs)) : undefined;
    const protoMs = protoRuns.length ? median(protoRuns.map((r) => r.wallMs)) : undefined;
    const toolRate = mbps(size, toolMs) ?? 0;
    const grepRate = mbps(size, grepMs) ?? 0;
    const ratio = grepRate > 0 ? toolRate / grepRate : 0;
    const cpuRatio = grepCpu !== undefined && toolCpu > 0 ? grepCpu / toolCpu : undefined;
    log(
      `  grep: LC_ALL=C grep -cE '${ere.length > 90 ? `${ere.slice(0, 87)}…` : ere}' (${literals.length} literals taken from the tool's prefilter)`,
    );
    log(
      table(
        ["", "wall ms", "MB/s", "cpu ms", "runs (wall ms)"],
        [
          [
            `${JOURNAL_TOOL} (runTool)`,
            fmt(toolMs),
            fmt(toolRate, 1),
            fmt(toolCpu),
            toolRuns.map((r) => fmt(r.wallMs)).join(" "),
          ],
          [
            "grep -cE (same literals)",
            fmt(grepMs),
            fmt(grepRate, 1),
            fmt(grepCpu),
            grepRuns.map((r) => fmt(r.wallMs)).join(" "),
          ],
          [
            "  scanMatchingLines alone (same literals)",
            fmt(scanMs),
            fmt(scanMs && mbps(size, scanMs), 1),
            fmt(scanRuns.length ? median(scanRuns.map((r) => r.cpuMs)) : undefined),
            scanRuns.map((r) => fmt(r.wallMs)).join(" "),
          ],
          [
            "  RegExp alternation of the same literals (previous prefilter)",
            fmt(protoMs),
            fmt(protoMs && mbps(size, protoMs), 1),
            fmt(protoRuns.length ? median(protoRuns.map((r) => r.cpuMs)) : undefined),
            protoRuns.map((r) => fmt(r.wallMs)).join(" "),
          ],
          [
            "  source.chunks() alone (read floor)",
            fmt(readMs),
            fmt(readMs && mbps(size, readMs), 1),
            fmt(readRuns.length ? median(readRuns.map((r) => r.cpuMs)) : undefined),
            readRuns.map((r) => fmt(r.wallMs)).join(" "),
          ],
        ],
        [false, true, true, true, false],
      ),
    );
    const grepCount = grepRuns[0]?.count;
    const scanCount = scanRuns[0]?.matched;
    const protoSame =
      protoRuns[0] !== undefined &&
      scanRuns[0] !== undefined &&
      protoRuns[0].matched === scanRuns[0].matched &&
      protoRuns[0].lineSum === scanRuns[0].lineSum;
    log(
      `  same lines selected: grep -c ${grepCount} vs prefilter ${scanCount} (${verdict(grepCount === scanCount)}); the RegExp alternation selects the same lines with the same line numbers: ${verdict(protoSame)}`,
    );
    log(
      `  throughput ratio analyzer/grep = ${ratio.toFixed(2)}  (target ≥ ${TARGET_GREP_RATIO.toFixed(2)}: ${verdict(ratio >= TARGET_GREP_RATIO)})${cpuRatio !== undefined ? `; by CPU time ${cpuRatio.toFixed(2)}` : ""}`,
    );
    journal = {
      file: BIG_FILES.kubelet,
      bytes: size,
      literals: literals.length,
      grepPattern: ere,
      runs: { tool: toolRuns, grep: grepRuns, scanOnly: scanRuns, prototypeScan: protoRuns, readOnly: readRuns },
      median: {
        toolMs,
        toolCpuMs: toolCpu,
        grepMs,
        grepCpuMs: grepCpu,
        scanOnlyMs: scanMs,
        prototypeScanMs: protoMs,
        readOnlyMs: readMs,
      },
      mbPerS: {
        tool: toolRate,
        grep: grepRate,
        scanOnly: scanMs && mbps(size, scanMs),
        prototypeScan: protoMs && mbps(size, protoMs),
        readOnly: readMs && mbps(size, readMs),
      },
      prototypeSameLines: protoSame,
      ratio,
      cpuRatio,
      sameLines: grepCount === scanCount,
      target: TARGET_GREP_RATIO,
      pass: ratio >= TARGET_GREP_RATIO,
    };
    if (profile) {
      const dir = join(BENCH_DIR, "profiles");
      await rm(dir, { recursive: true, force: true });
      await runChild<ToolRun>(
        ["tool", "--bundle", bundle.dir, "--tool", JOURNAL_TOOL],
        ["--cpu-prof", "--cpu-prof-dir", dir],
      );
      const hot = await summarizeCpuProfile(dir);
      log(`  CPU profile of ${JOURNAL_TOOL} (self time, ${dir}):`);
      for (const h of hot) log(`    ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.where}`);
      journal.profile = hot;
    }
  }

  const measured = rows.filter((r) => r.peakRssMB !== undefined);
  const worst = measured.reduce<Row | undefined>(
    (max, r) => (max === undefined || (r.peakRssMB ?? 0) > (max.peakRssMB ?? 0) ? r : max),
    undefined,
  );
  const rssPass = worst !== undefined && (worst.peakRssMB ?? 0) < TARGET_RSS_MB && measured.length === rows.length;
  log(
    `\nmax peak RSS over all tools: ${fmt(worst?.peakRssMB, 1)} MB (${worst ? `${worst.tool}, ${worst.source}` : "none measured"})  (target < ${TARGET_RSS_MB} MB: ${verdict(rssPass)})`,
  );
  const slow = fastPaths.filter((t) => t.fullScans.length > 0);
  if (slow.length)
    log(`line-by-line scans (no prefilter): ${slow.map((t) => `${t.tool} → ${t.fullScans.join(", ")}`).join("; ")}`);

  const results = {
    generatedAt: new Date().toISOString(),
    machine,
    loadAverage: {
      before: loadBefore,
      after: loadavg()
        .map((l) => l.toFixed(2))
        .join(" "),
    },
    params: bundle.params,
    bundle: {
      dir: bundle.dir,
      tgz: bundle.tgz,
      sizes: bundle.sizes,
      iptablesRules: bundle.iptablesRules,
      dirBytes: bundle.dirBytes,
      tgzBytes: bundle.tgzBytes,
      smallFiles: bundle.smallFiles,
      generatedMs: bundle.generatedMs,
    },
    runtimeFloorRssMB: noop.value?.maxRssMB,
    rows,
    tgzOnce: all,
    journal,
    prefilters: fastPaths,
    maxPeakRss: worst
      ? { mb: worst.peakRssMB, tool: worst.tool, source: worst.source, target: TARGET_RSS_MB, pass: rssPass }
      : undefined,
  };
  await writeFile(join(BENCH_DIR, "results.json"), JSON.stringify(results, null, 2) + "\n");
  log(`figures written to ${join(BENCH_DIR, "results.json")}`);
  await clearScratch(scratch);
}

await main();
process.exitCode = 0;
