/**
 * One benchmark measurement in a fresh process, so that `maxRSS` is this measurement's own peak.
 * Prints one JSON object on stdout. Started by bench/run.ts; not a test, asserts nothing.
 *
 *   node bench/run-one.ts tool  --bundle <dir|tgz> --tool <name> [--scratch <dir>]
 *   node bench/run-one.ts all   --bundle <tgz> --scratch <dir>      (expand once, run every tool)
 *   node bench/run-one.ts prefilters --bundle <dir>                  (which regex each tool greps with)
 *   node bench/run-one.ts scan  --bundle <dir> --path <member> --pattern <js regex source>
 *   node bench/run-one.ts scan-regex --bundle <dir> --path <member> --pattern <js regex source>
 *                                                                    (the same literals as one RegExp alternation: the previous prefilter)
 *   node bench/run-one.ts read  --bundle <dir> --path <member>       (raw chunk loop: the I/O floor)
 *   node bench/run-one.ts noop                                       (runtime + modules, nothing read)
 */
import { readdir } from "node:fs/promises";
import { openBundle } from "../src/evidence/open-bundle.ts";
import { scanMatchingLines } from "../src/evidence/lines.ts";
import { MultiLiteral as ProductionMultiLiteral } from "../src/evidence/multi-literal.ts";
import { prefilterPattern } from "../src/toolkit/log-signals.ts";
import { createNodeEvidence } from "../src/evidence/node-evidence.ts";
import { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { runTool } from "../src/toolkit/run-tool.ts";
import type { ToolDefinition } from "../src/toolkit/tool-definition.ts";
import { TOOLS } from "../tools/index.ts";
import { literalsOf } from "./lib.ts";

const argv = process.argv.slice(2);
const mode = argv[0] ?? "";
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const need = (name: string): string => {
  const value = arg(name);
  if (value === undefined) throw new Error(`run-one ${mode}: --${name} is required`);
  return value;
};
const rssMB = () => process.resourceUsage().maxRSS / 1024;
const round = (ms: number) => Math.round(ms * 10) / 10;
/** CPU time (user + system, all threads of this process) since `start`, in ms. */
const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return round((used.user + used.system) / 1000);
};
const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function findTool(name: string): ToolDefinition {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool named ${name} in TOOLS (${TOOLS.map((t) => t.name).join(", ")})`);
  return tool;
}

async function scratchDirs(scratch: string | undefined): Promise<number | undefined> {
  if (!scratch) return undefined;
  return (await readdir(scratch).catch(() => [] as string[])).filter((n) => n.startsWith("fathom-bundle-")).length;
}

async function runOne(tool: ToolDefinition, evidence: Awaited<ReturnType<typeof createNodeEvidence>>) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    const report = await runTool(tool, evidence, {});
    return {
      tool: tool.name,
      wallMs: round(performance.now() - t0),
      cpuMs: cpuMs(c0),
      bytesRead: report.stats.bytesRead,
      linesScanned: report.stats.linesScanned,
      findings: report.findings.length,
      status: report.status,
      severity: report.severity,
      gaps: report.gaps.length,
    };
  } catch (error) {
    return {
      tool: tool.name,
      wallMs: round(performance.now() - t0),
      cpuMs: cpuMs(c0),
      bytesRead: 0,
      linesScanned: 0,
      findings: 0,
      status: "crashed",
      error: String((error as Error).stack ?? error).slice(0, 600),
    };
  }
}

async function main(): Promise<void> {
  switch (mode) {
    case "noop": {
      out({ mode, tools: TOOLS.length, maxRssMB: rssMB() });
      return;
    }
    case "tool": {
      const tool = findTool(need("tool"));
      const scratch = arg("scratch");
      const t0 = performance.now();
      const source = await openBundle(need("bundle"), scratch ? { scratchRoot: scratch } : {});
      const openMs = performance.now() - t0;
      const t1 = performance.now();
      const evidence = await createNodeEvidence(source);
      const evidenceMs = performance.now() - t1;
      const result = await runOne(tool, evidence);
      const maxRssMB = rssMB();
      await source.close();
      out({ mode, ...result, openMs: round(openMs), evidenceMs: round(evidenceMs), maxRssMB });
      return;
    }
    case "all": {
      const scratch = arg("scratch");
      const t0 = performance.now();
      const source = await openBundle(need("bundle"), scratch ? { scratchRoot: scratch } : {});
      const openMs = performance.now() - t0;
      const rssAfterOpenMB = rssMB();
      const evidence = await createNodeEvidence(source);
      const tools = [];
      for (const tool of TOOLS) tools.push(await runOne(tool, evidence));
      const expandedDuringRun = await scratchDirs(scratch);
      const maxRssMB = rssMB();
      await source.close();
      out({
        mode,
        openMs: round(openMs),
        rssAfterOpenMB,
        tools,
        expandedDuringRun,
        expandedAfterClose: await scratchDirs(scratch),
        maxRssMB,
      });
      return;
    }
    case "prefilters": {
      // Runs each analyzer with a reader whose line scans are recorded instead of performed: cheap,
      // and tells which regex each tool greps which file with (the fair grep for the comparison).
      const source = await openBundle(need("bundle"));
      const evidence = await createNodeEvidence(source);
      const clock = await evidence.clock();
      const tools = [];
      for (const tool of TOOLS) {
        const read = new EvidenceReader(evidence);
        const prefilters: Array<{ path: string; source: string; flags: string }> = [];
        const fullScans: string[] = [];
        read.scanMatchingAt = async (path: string, prefilter: RegExp | ProductionMultiLiteral) => {
          prefilters.push(
            prefilter instanceof RegExp
              ? { path, source: prefilter.source, flags: prefilter.flags }
              : { path, source: prefilterPattern(prefilter), flags: "g" },
          );
          return true;
        };
        read.scanAt = async (path: string) => {
          fullScans.push(path);
          return true;
        };
        let error: string | undefined;
        try {
          await tool.analyze(
            {
              node: evidence.node,
              window: { start: Number.NEGATIVE_INFINITY, end: clock.collectedAt ?? Number.POSITIVE_INFINITY },
              clock,
              read,
            },
            {} as never,
          );
        } catch (e) {
          error = (e as Error).message.slice(0, 200);
        }
        tools.push({ tool: tool.name, prefilters, fullScans, ...(error ? { error } : {}) });
      }
      await source.close();
      out({ mode, tools, clock });
      return;
    }
    case "scan":
    case "scan-regex": {
      // scan: the production prefilter (the byte-level multi-literal matcher the tools use);
      // scan-regex: the previous one, a RegExp alternation of the same literals, for comparison.
      const source = await openBundle(need("bundle"));
      const literalList = mode === "scan" ? literalsOf(need("pattern")) : undefined;
      const prefilter = literalList ? new ProductionMultiLiteral(literalList) : new RegExp(need("pattern"), "g");
      let matched = 0;
      let lineSum = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const stats = await scanMatchingLines(source, need("path"), prefilter, (cursor) => {
        matched += 1;
        lineSum += cursor.lineNo;
      });
      const wallMs = performance.now() - t0;
      await source.close();
      out({
        mode,
        wallMs: round(wallMs),
        cpuMs: cpuMs(c0),
        bytesRead: stats.bytesRead,
        lines: stats.linesScanned,
        matched,
        lineSum,
        maxRssMB: rssMB(),
      });
      return;
    }
    case "read": {
      const source = await openBundle(need("bundle"));
      let bytes = 0;
      let newlines = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for await (const chunk of source.chunks(need("path"))) {
        bytes += chunk.length;
        if (arg("count-lines") !== undefined)
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines += 1;
      }
      const wallMs = performance.now() - t0;
      await source.close();
      out({ mode, wallMs: round(wallMs), cpuMs: cpuMs(c0), bytesRead: bytes, newlines, maxRssMB: rssMB() });
      return;
    }
    default:
      throw new Error(`unknown mode ${JSON.stringify(mode)} (tool, all, prefilters, scan, read, noop)`);
  }
}

try {
  await main();
} catch (error) {
  out({ mode, error: String((error as Error).stack ?? error).slice(0, 1000), maxRssMB: rssMB() });
  process.exitCode = 1;
}
