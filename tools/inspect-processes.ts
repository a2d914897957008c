import { z } from "zod";
import { splitLines } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fact } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "processes.failed-units": kind(
    "systemd units in the failed state (attribute `units`); kubelet, containerd, chronyd and sandbox-image are high",
    { units: attr.texts("Failed systemd units (name.service, .mount, .socket or .timer), in listing order") },
  ),
  "processes.core-services": kind(
    "Which node services run (kubelet, containerd, aws-node/ipamd, kube-proxy, chronyd, ssm agent) per the process list (fact)",
    {
      running: attr.texts(
        "Node services found in the process list, of kubelet, containerd, aws-node, kube-proxy, chronyd, ssm-agent",
      ),
    },
  ),
  "processes.core-missing": kind("kubelet or containerd is not in the process list at collection time", {
    missing: attr.texts("Core services absent from the process list, of kubelet and containerd"),
  }),
  "processes.counts": kind("Process and thread counts against kernel.pid_max and kernel.threads-max (fact)", {
    processes: attr.count("Rows in the process list (processes)"),
    threads: attr.count("Rows in the thread list, ps -eTF (threads)"),
    pidMax: attr.count("kernel.pid_max, from the hand-off input or the sysctl dump (PIDs)"),
  }),
  "processes.pid-pressure": kind(
    "Threads/processes use at least 80% (medium) / 90% (high) of kernel.pid_max: evidence for node.pid-exhaustion",
    {
      used: attr.count("PIDs in use: the larger of the thread and process counts (PIDs)"),
      pidMax: attr.count("kernel.pid_max (PIDs)"),
      percent: attr.percent("Share of kernel.pid_max in use, to 0.1"),
    },
  ),
  "processes.zombies": kind("Many zombie (defunct) processes: a parent that does not reap, often a PID leak", {
    zombies: attr.count("Zombie (defunct) processes in the process list (processes)"),
  }),
  "processes.large-arguments": kind(
    "Processes with very long command lines (environment dumped into arguments; context for secrets and ARG_MAX)",
    { longest: attr.count("Length of the longest process-list row (characters)") },
  ),
};

const CORE = [
  { service: "kubelet", pattern: /\/kubelet(\s|$)/ },
  { service: "containerd", pattern: /\/containerd(\s|$)/ },
  { service: "aws-node", pattern: /aws-k8s-agent|\/app\/aws-vpc-cni/ },
  { service: "kube-proxy", pattern: /kube-proxy/ },
  { service: "chronyd", pattern: /chronyd/ },
  { service: "ssm-agent", pattern: /amazon-ssm-agent/ },
];
const CORE_UNITS = /^(kubelet|containerd|chronyd|sandbox-image)\.service$/;
const LARGE_ARGS = 32 * 1024;
/** A process list this short is a stub or a failed capture, not the node's: absence in it proves nothing. */
const MIN_ROWS_FOR_MISSING = 5;
/** A few zombies come and go; this many means a parent that never reaps (a PID leak). */
const ZOMBIES_MEDIUM = 50;
const ZOMBIES_HIGH = 1000;
/** Shares of kernel.pid_max in use: forks fail once it is reached. */
const PID_PRESSURE_MEDIUM = 0.8;
const PID_PRESSURE_HIGH = 0.9;
const SHOWN_FAILED_UNITS = 3;
const SHOWN_SAMPLES = 2;

interface FailedUnit {
  unit: string;
  line: number;
  text: string;
}

/** `ps fauxwww` parsed: the rows under its header, with the line each row is on. */
interface ProcessList {
  path: string;
  /** Non-blank rows; `line` is the header's line + 1 + the row's index (blank lines are not counted). */
  rows: Array<{ text: string; line: number }>;
  /** Core services (CORE) with a matching row. */
  running: string[];
  /** Rows in state Z or marked <defunct>. */
  zombies: string[];
}

/** What the node ran at collection time: plain data, no verdicts. */
interface Model {
  failedUnits: { path: string; units: FailedUnit[] } | undefined;
  processes: ProcessList | undefined;
  /** Rows of `ps -eTF` below its header. */
  threads: number | undefined;
  pidMax: number | undefined;
}

async function readFailedUnits(read: EvidenceReader): Promise<Model["failedUnits"]> {
  const services = await read.text("services");
  if (services.state !== "ok") return undefined;
  const units: FailedUnit[] = [];
  splitLines(services.text).forEach((text, i) => {
    const m = /^[\s●*]*([\w@.\\-]+\.(?:service|mount|socket|timer))\s+\S+\s+failed\s/.exec(text);
    if (m) units.push({ unit: m[1] as string, line: i + 1, text });
  });
  return { path: services.path, units };
}

async function readProcessList(read: EvidenceReader): Promise<ProcessList | undefined> {
  const ps = await read.text("processes", 64 * 1024 * 1024);
  if (ps.state !== "ok") return undefined;
  const lines = splitLines(ps.text);
  const header = lines.findIndex((l) => /\bPID\b/.test(l) && /\bCOMMAND\b|\bCMD\b/.test(l));
  // Numbered after blank lines are dropped, as before: a blank line shifts the numbers of the rows below it.
  const rows = lines
    .slice(header + 1)
    .filter((l) => l.trim() !== "")
    .map((text, i) => ({ text, line: header + 2 + i }));
  const texts = rows.map((r) => r.text);
  const statColumn = (lines[header] ?? "").split(/\s+/).filter(Boolean).indexOf("STAT");
  return {
    path: ps.path,
    rows,
    running: CORE.filter((c) => texts.some((r) => c.pattern.test(r))).map((c) => c.service),
    zombies: texts.filter((r) => {
      const cols = r.trim().split(/\s+/);
      return (statColumn >= 0 && cols[statColumn]?.startsWith("Z")) || /<defunct>/.test(r);
    }),
  };
}

async function readThreadCount(read: EvidenceReader): Promise<number | undefined> {
  const [threadsPath] = await read.paths("threads");
  if (!threadsPath) return undefined;
  let count = 0;
  const ok = await read.scanAt(threadsPath, (cursor) => {
    if (cursor.end > cursor.start) count += 1;
  });
  return ok ? Math.max(0, count - 1) : undefined;
}

async function sysctl(read: EvidenceReader, key: string): Promise<number | undefined> {
  const text = await read.text("sysctls");
  if (text.state !== "ok") return undefined;
  const m = new RegExp(`^${key.replace(/\./g, "\\.")}\\s*=\\s*(\\d+)`, "m").exec(text.text);
  return m ? Number(m[1]) : undefined;
}

async function readProcesses(read: EvidenceReader, inputPidMax: number | undefined): Promise<Model> {
  const failedUnits = await readFailedUnits(read);
  const processes = await readProcessList(read);
  const threads = await readThreadCount(read);
  const pidMax = inputPidMax ?? (await sysctl(read, "kernel.pid_max"));
  return { failedUnits, processes, threads, pidMax };
}

async function analyze(ctx: AnalyzerContext, input: { pidMax?: number }): Promise<FindingDraft[]> {
  const model = await readProcesses(ctx.read, input.pidMax);
  const ps = model.processes;
  return [
    failedUnitsFinding(model),
    ps && coreServicesFinding(ps),
    ps && coreMissingFinding(ps),
    ps && zombiesFinding(ps),
    ps && largeArgumentsFinding(ps),
    countsFinding(model),
    pidPressureFinding(model),
  ].filter((f): f is FindingDraft => f !== undefined);
}

function failedUnitsFinding({ failedUnits }: Model): FindingDraft | undefined {
  if (!failedUnits || failedUnits.units.length === 0) return undefined;
  const { path, units } = failedUnits;
  return draft({
    kind: "processes.failed-units",
    severity: units.some((f) => CORE_UNITS.test(f.unit)) ? "high" : "low",
    summary: `${units.length} systemd unit${units.length === 1 ? " is" : "s are"} failed: ${units.map((f) => f.unit).join(", ")}`,
    evidence: units.slice(0, SHOWN_FAILED_UNITS).map((f) => makeLocator(path, f.line, undefined, f.text)),
    count: units.length,
    attributes: { units: units.map((f) => f.unit) },
    correlateWith: ["read_system_messages", "read_kubelet_journal", "read_containerd_log"],
  });
}

function coreServicesFinding({ running }: ProcessList): FindingDraft {
  return fact(
    "processes.core-services",
    `Running: ${running.join(", ") || "none of the node services"}`,
    { running },
    [],
    running.length,
  );
}

function coreMissingFinding({ running, rows }: ProcessList): FindingDraft | undefined {
  const missing = ["kubelet", "containerd"].filter((s) => !running.includes(s));
  if (missing.length === 0 || rows.length <= MIN_ROWS_FOR_MISSING) return undefined;
  return draft({
    kind: "processes.core-missing",
    severity: "high",
    summary: `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not running at collection time`,
    count: missing.length,
    attributes: { missing },
    correlateWith: missing.includes("containerd") ? ["read_containerd_log"] : ["read_kubelet_journal"],
  });
}

function zombiesFinding({ path, zombies }: ProcessList): FindingDraft | undefined {
  if (zombies.length < ZOMBIES_MEDIUM) return undefined;
  return draft({
    kind: "processes.zombies",
    severity: zombies.length >= ZOMBIES_HIGH ? "high" : "medium",
    summary: `${zombies.length} zombie processes`,
    evidence: zombies.slice(0, SHOWN_SAMPLES).map((z) => makeLocator(path, undefined, undefined, z)),
    count: zombies.length,
    attributes: { zombies: zombies.length },
    correlateWith: ["read_sysctls"],
  });
}

function largeArgumentsFinding({ path, rows }: ProcessList): FindingDraft | undefined {
  const large = rows.filter((r) => r.text.length > LARGE_ARGS);
  if (large.length === 0) return undefined;
  return fact(
    "processes.large-arguments",
    `${large.length} process${large.length === 1 ? " has" : "es have"} command lines over ${LARGE_ARGS / 1024} KiB`,
    { longest: Math.max(...large.map((r) => r.text.length)) },
    large.slice(0, SHOWN_SAMPLES).map((r) => makeLocator(path, r.line, undefined, r.text.slice(0, 200))),
    large.length,
  );
}

/** PIDs in use: threads count against pid_max too, so the larger of the two counts. */
function pidsUsed({ processes, threads }: Model): number {
  return Math.max(threads ?? 0, processes?.rows.length ?? 0);
}

function countsFinding(m: Model): FindingDraft | undefined {
  const processCount = m.processes?.rows.length;
  const { threads, pidMax } = m;
  if (threads === undefined && processCount === undefined) return undefined;
  const attributes: FindingDraft["attributes"] = {};
  if (processCount !== undefined) attributes.processes = processCount;
  if (threads !== undefined) attributes.threads = threads;
  if (pidMax !== undefined) attributes.pidMax = pidMax;
  return fact(
    "processes.counts",
    `${processCount ?? "?"} processes, ${threads ?? "?"} threads${pidMax ? ` (pid_max ${pidMax})` : ""}`,
    attributes,
    [],
    pidsUsed(m),
  );
}

function pidPressureFinding(m: Model): FindingDraft | undefined {
  const { pidMax } = m;
  if (m.threads === undefined && m.processes === undefined) return undefined;
  const used = pidsUsed(m);
  if (pidMax === undefined || pidMax <= 0 || used / pidMax < PID_PRESSURE_MEDIUM) return undefined;
  return draft({
    kind: "processes.pid-pressure",
    severity: used / pidMax >= PID_PRESSURE_HIGH ? "high" : "medium",
    summary: `${used} of ${pidMax} PIDs in use (${Math.round((used / pidMax) * 100)}%)`,
    count: used,
    attributes: { used, pidMax, percent: Math.round((used / pidMax) * 1000) / 10 },
    correlateWith: ["read_kubelet_journal", "read_sysctls"],
  });
}

export const inspectProcesses = defineTool({
  name: "inspect_processes",
  title: "System services and processes",
  lane: "host",
  description:
    "Reads systemd units (system/services.txt), the process list (ps fauxwww) and threads (ps -eTF): failed units, whether kubelet, containerd, aws-node, kube-proxy and chronyd run, process and thread counts against kernel.pid_max, zombies, very long command lines. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Accepts pidMax from read_sysctls (sysctl.values attribute pidMax). ` +
    "Next: read_kubelet_journal / read_containerd_log for a dead service, read_system_messages for why a unit failed.",
  sources: ["services", "processes", "threads"],
  kinds: KINDS,
  input: {
    pidMax: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("kernel.pid_max from read_sysctls' sysctl.values finding (attribute pidMax)"),
  },
  analyze,
});
