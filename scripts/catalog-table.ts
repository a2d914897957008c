/**
 * Prints the README's table mapping each root-cause id to the finding kinds that support it and
 * the kinds that argue against it, straight from the rules (so the table cannot drift from them).
 *   node scripts/catalog-table.ts
 */
import { ROOT_CAUSES } from "../src/domain/root-causes.ts";
import { CAUSE_RULES } from "../src/synthesis/rules/catalog-rules.ts";
import type { Signal } from "../src/synthesis/rules/rule-types.ts";

const kinds = (signals: readonly Signal[] | undefined) => [
  ...new Set((signals ?? []).flatMap((s) => (typeof s.kind === "string" ? [s.kind] : [...s.kind]))),
];
const code = (list: string[]) => (list.length ? list.map((k) => `\`${k}\``).join(", ") : "—");
const lines = [
  "| root cause | requires one of | supported by | argued against by | explains |",
  "|---|---|---|---|---|",
];
for (const cause of ROOT_CAUSES) {
  if (cause.id === "none") {
    lines.push(
      "| `none` | no cause reaches confidence 0.35 (or coverage < 30%: inconclusive) | `kubelet.container-oom-killed`, `kubelet.probe-failures`, `kernel.oom-kill-workload` (application-level) | any cause above | — |",
    );
    continue;
  }
  const rule = CAUSE_RULES.find((r) => r.id === cause.id);
  if (!rule) {
    lines.push(`| \`${cause.id}\` | (no rule) | | | |`);
    continue;
  }
  lines.push(
    `| \`${cause.id}\` | ${code(kinds(rule.requires))} | ${code(kinds(rule.supports))} | ${code(kinds(rule.contrary))} | ${code([...(rule.explains ?? [])])} |`,
  );
}
console.log(lines.join("\n"));
