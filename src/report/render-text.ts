import type { Report } from "../domain/report.ts";
import type { RootCause } from "../domain/root-cause.ts";
import { rootCauseTitle } from "../domain/root-causes.ts";

const MAX_EVIDENCE = 6;

/** The terminal report: the answer in one line, the proof, what lost and why, gaps, next steps. */
export function renderText(report: Report): string {
  const [top] = report.rootCauses as [RootCause];
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const out: string[] = [];
  const where = top.nodes.length ? ` on ${top.nodes.join(", ")}` : "";
  out.push(`${headline(report, top)}${where}`);
  out.push(`  ${top.summary}`);
  out.push(
    `  verdict ${report.verdict} · confidence ${top.confidence} · ${report.coverage.ok}/${report.coverage.toolCalls} tool calls read their evidence · ${report.findings.length} findings · ${report.timings.totalMs} ms`,
  );
  if (top.supporting.length) {
    out.push("", "Evidence");
    for (const id of top.supporting.slice(0, MAX_EVIDENCE)) {
      const f = byId.get(id);
      if (!f) continue;
      out.push(`  ${f.id} [${f.severity}] ${f.kind} ×${f.count} — ${f.summary}`);
      for (const e of f.evidence.slice(0, 2))
        out.push(`       ${e.source}${e.line ? `:${e.line}` : ""}  ${e.excerpt.slice(0, 140)}`);
    }
    if (top.supporting.length > MAX_EVIDENCE)
      out.push(`  … and ${top.supporting.length - MAX_EVIDENCE} more supporting findings (--format json for all)`);
  }
  if (top.contrary.length)
    out.push(
      "",
      "Evidence against",
      ...top.contrary.map((id) => `  ${id} ${byId.get(id)?.kind ?? ""} — ${byId.get(id)?.summary ?? ""}`),
    );
  const others = report.rootCauses.slice(1);
  if (others.length || top.ruledOut.length) {
    out.push("", "Other hypotheses");
    for (const c of others) out.push(`  ${c.id} (${c.confidence}) — ${c.summary}`);
    for (const r of top.ruledOut.slice(0, 8)) out.push(`  ${r.id} — ruled out: ${r.reason}`);
  }
  if (report.gaps.length) {
    out.push("", "Gaps");
    for (const g of report.gaps.slice(0, 10)) out.push(`  ${g.node ? `${g.node} ` : ""}${g.source}: ${g.reason}`);
    if (report.gaps.length > 10) out.push(`  … ${report.gaps.length - 10} more`);
  }
  out.push("", "Next steps", ...nextSteps(report, top).map((s) => `  - ${s}`));
  return `${out.join("\n")}\n`;
}

function headline(report: Report, top: RootCause): string {
  if (report.verdict === "inconclusive") return "INCONCLUSIVE  too little evidence could be read to name a cause";
  if (top.id === "none") return "NOTHING FOUND  nothing below the kubelet explains this incident";
  return `ROOT CAUSE  ${top.id} — ${rootCauseTitle(top.id)}`;
}

function nextSteps(report: Report, top: RootCause): string[] {
  if (report.verdict === "inconclusive")
    return ["collect a fresh bundle (AWSSupport-CollectEKSInstanceLogs) and check the gaps above"];
  if (top.id === "none") return ["look above the node: the workload's own logs, probes and limits, or the cluster API"];
  const tools = new Set(report.findings.filter((f) => top.supporting.includes(f.id)).flatMap((f) => f.correlateWith));
  const steps = [`confirm with the supporting findings' sources above (fathom tools run <tool> --bundle …)`];
  if (tools.size) steps.push(`related tools: ${[...tools].join(", ")}`);
  if (report.remediations.length) steps.push(`a remediation is proposed: review it with fathom approve`);
  return steps;
}
