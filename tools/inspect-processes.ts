import { z } from "zod";
import type { Severity } from "../src/domain/severity.ts";
import { splitLines } from "../src/evidence/lines.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "processes.failed-units":
    "systemd units in the failed state (attribute `units`); kubelet, containerd, chronyd and sandbox-image are high",
  "processes.core-services":
    "Which node services run (kubelet, containerd, aws-node/ipamd, kube-proxy, chronyd, ssm agent) per the process list (fact)",
  "processes.core-missing": "kubelet or containerd is not in the process list at collection time",
  "processes.counts": "Process and thread counts against kernel.pid_max and kernel.threads-max (fact)",
  "processes.pid-pressure":
    "Threads/processes use at least 80% (medium) / 90% (high) of kernel.pid_max: evidence for node.pid-exhaustion",
  "processes.zombies": "Many zombie (defunct) processes: a parent that does not reap, often a PID leak",
  "processes.large-arguments":
    "Processes with very long command lines (environment dumped into arguments; context for secrets and ARG_MAX)",
} as const;

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

async function analyze(ctx: AnalyzerContext, input: { pidMax?: number }): Promise<FindingDraft[]> {
  const findings: FindingDraft[] = [];
  const services = await ctx.read.text("services");
  if (services.state === "ok") {
    const failed: Array<{ unit: string; line: number; text: string }> = [];
    splitLines(services.text).forEach((text, i) => {
      const m = /^[\s●*]*([\w@.\\-]+\.(?:service|mount|socket|timer))\s+\S+\s+failed\s/.exec(text);
      if (m) failed.push({ unit: m[1] as string, line: i + 1, text });
    });
    if (failed.length) {
      const core = failed.some((f) => CORE_UNITS.test(f.unit));
      findings.push({
        kind: "processes.failed-units",
        severity: core ? "high" : "low",
        summary: `${failed.length} systemd unit${failed.length === 1 ? " is" : "s are"} failed: ${failed.map((f) => f.unit).join(", ")}`,
        evidence: failed.slice(0, 3).map((f) => makeLocator(services.path, f.line, undefined, f.text)),
        count: failed.length,
        attributes: { units: failed.map((f) => f.unit) },
        correlateWith: ["read_system_messages", "read_kubelet_journal", "read_containerd_log"],
      });
    }
  }

  const ps = await ctx.read.text("processes", 64 * 1024 * 1024);
  let processCount: number | undefined;
  if (ps.state === "ok") {
    const lines = splitLines(ps.text);
    const header = lines.findIndex((l) => /\bPID\b/.test(l) && /\bCOMMAND\b|\bCMD\b/.test(l));
    const rows = lines.slice(header + 1).filter((l) => l.trim() !== "");
    processCount = rows.length;
    const running = CORE.filter((c) => rows.some((r) => c.pattern.test(r))).map((c) => c.service);
    findings.push({
      kind: "processes.core-services",
      severity: "info",
      summary: `Running: ${running.join(", ") || "none of the node services"}`,
      evidence: [],
      count: running.length,
      attributes: { running },
      correlateWith: [],
    });
    const missing = ["kubelet", "containerd"].filter((s) => !running.includes(s));
    if (missing.length && rows.length > 5) {
      findings.push({
        kind: "processes.core-missing",
        severity: "high",
        summary: `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not running at collection time`,
        evidence: [],
        count: missing.length,
        attributes: { missing },
        correlateWith: missing.includes("containerd") ? ["read_containerd_log"] : ["read_kubelet_journal"],
      });
    }
    const statColumn = (lines[header] ?? "").split(/\s+/).filter(Boolean).indexOf("STAT");
    const zombies = rows.filter((r) => {
      const cols = r.trim().split(/\s+/);
      return (statColumn >= 0 && cols[statColumn]?.startsWith("Z")) || /<defunct>/.test(r);
    });
    if (zombies.length >= 50) {
      findings.push({
        kind: "processes.zombies",
        severity: zombies.length >= 1000 ? "high" : "medium",
        summary: `${zombies.length} zombie processes`,
        evidence: zombies.slice(0, 2).map((z) => makeLocator(ps.path, undefined, undefined, z)),
        count: zombies.length,
        attributes: { zombies: zombies.length },
        correlateWith: ["read_sysctls"],
      });
    }
    const large = rows.map((r, i) => ({ r, line: header + 2 + i })).filter((x) => x.r.length > LARGE_ARGS);
    if (large.length) {
      findings.push({
        kind: "processes.large-arguments",
        severity: "info",
        summary: `${large.length} process${large.length === 1 ? " has" : "es have"} command lines over ${LARGE_ARGS / 1024} KiB`,
        evidence: large.slice(0, 2).map((x) => makeLocator(ps.path, x.line, undefined, x.r.slice(0, 200))),
        count: large.length,
        attributes: { longest: Math.max(...large.map((x) => x.r.length)) },
        correlateWith: [],
      });
    }
  }

  let threads: number | undefined;
  const [threadsPath] = await ctx.read.paths("threads");
  if (threadsPath) {
    let count = 0;
    const ok = await ctx.read.scanAt(threadsPath, (cursor) => {
      if (cursor.end > cursor.start) count += 1;
    });
    if (ok) threads = Math.max(0, count - 1);
  }
  const pidMax = input.pidMax ?? (await sysctl(ctx, "kernel.pid_max"));
  const used = Math.max(threads ?? 0, processCount ?? 0);
  if (threads !== undefined || processCount !== undefined) {
    const attributes: FindingDraft["attributes"] = {};
    if (processCount !== undefined) attributes.processes = processCount;
    if (threads !== undefined) attributes.threads = threads;
    if (pidMax !== undefined) attributes.pidMax = pidMax;
    findings.push({
      kind: "processes.counts",
      severity: "info",
      summary: `${processCount ?? "?"} processes, ${threads ?? "?"} threads${pidMax ? ` (pid_max ${pidMax})` : ""}`,
      evidence: [],
      count: used,
      attributes,
      correlateWith: [],
    });
    if (pidMax !== undefined && pidMax > 0 && used / pidMax >= 0.8) {
      const severity: Severity = used / pidMax >= 0.9 ? "high" : "medium";
      findings.push({
        kind: "processes.pid-pressure",
        severity,
        summary: `${used} of ${pidMax} PIDs in use (${Math.round((used / pidMax) * 100)}%)`,
        evidence: [],
        count: used,
        attributes: { used, pidMax, percent: Math.round((used / pidMax) * 1000) / 10 },
        correlateWith: ["read_kubelet_journal", "read_sysctls"],
      });
    }
  }
  return findings;
}

async function sysctl(ctx: AnalyzerContext, key: string): Promise<number | undefined> {
  const read = await ctx.read.text("sysctls");
  if (read.state !== "ok") return undefined;
  const m = new RegExp(`^${key.replace(/\./g, "\\.")}\\s*=\\s*(\\d+)`, "m").exec(read.text);
  return m ? Number(m[1]) : undefined;
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
