import type { Report } from "../domain/report.ts";
import { rootCauseTitle } from "../domain/root-causes.ts";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A shareable Markdown report (`--format markdown`, `--out`). */
export function renderMarkdown(report: Report): string {
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const [top] = report.rootCauses;
  const out: string[] = [`# fathom investigation ${report.investigationId}`, ""];
  out.push(`- Incident: ${cell(report.incident.title)} (${report.incident.source}, ${report.incident.startsAt})`);
  out.push(`- Window: ${report.window.start} → ${report.window.end}`);
  out.push(`- Nodes: ${report.nodes.map((n) => `${n.node}${n.instanceId ? ` (${n.instanceId})` : ""}`).join(", ")}`);
  out.push(`- Verdict: **${report.verdict}** · coverage ${report.coverage.ok}/${report.coverage.toolCalls}`, "");
  out.push(
    "## Root causes",
    "",
    "| rank | id | confidence | nodes | supporting | against |",
    "|---|---|---|---|---|---|",
  );
  report.rootCauses.forEach((c, i) =>
    out.push(
      `| ${i + 1} | \`${c.id}\` | ${c.confidence} | ${c.nodes.join(", ")} | ${c.supporting.join(", ")} | ${c.contrary.join(", ")} |`,
    ),
  );
  if (top && top.id !== "none") out.push("", `**${top.id}** — ${rootCauseTitle(top.id)}. ${top.summary}.`);
  if (top?.ruledOut.length)
    out.push("", "### Ruled out", "", ...top.ruledOut.map((r) => `- \`${r.id}\`: ${cell(r.reason)}`));
  out.push("", "## Evidence", "");
  for (const id of top?.supporting ?? []) {
    const f = byId.get(id);
    if (!f) continue;
    out.push(`### ${f.id} \`${f.kind}\` (${f.severity}, ×${f.count})`, "", f.summary, "");
    for (const e of f.evidence) out.push("```", `${e.source}${e.line ? `:${e.line}` : ""}`, e.excerpt, "```");
  }
  out.push("", "## All findings", "", "| id | node | severity | kind | summary |", "|---|---|---|---|---|");
  for (const f of report.findings)
    out.push(`| ${f.id} | ${f.node} | ${f.severity} | \`${f.kind}\` | ${cell(f.summary)} |`);
  if (report.gaps.length)
    out.push(
      "",
      "## Gaps",
      "",
      ...report.gaps.map((g) => `- ${g.node ? `${g.node} ` : ""}${g.source}: ${cell(g.reason)}`),
    );
  out.push("", "## Lanes", "", "| lane | status | tool calls | findings | ms |", "|---|---|---|---|---|");
  for (const l of report.lanes)
    out.push(`| ${l.lane} | ${l.status} | ${l.toolCalls} | ${l.findings} | ${l.durationMs} |`);
  return `${out.join("\n")}\n`;
}
