/**
 * Prints the README's table mapping each root-cause id to the finding kinds that support it and
 * the kinds that argue against it, straight from the rules data (so the table cannot drift from it).
 *   node scripts/catalog-table.ts
 */
import { ROOT_CAUSES } from "../src/domain/root-causes.ts";
import { BUILT_IN_RULES_FILE, loadRules } from "../src/synthesis/rules/load-rules.ts";
import type { Signal } from "../src/synthesis/rules/rule-types.ts";
import { vocabularyOf } from "../src/toolkit/vocabulary.ts";
import { TOOLS } from "../tools/index.ts";

const rules = await loadRules(BUILT_IN_RULES_FILE, vocabularyOf(TOOLS));
const kinds = (signals: readonly Signal[]) => [...new Set(signals.flatMap((s) => s.kinds))];
const code = (list: readonly string[]) => (list.length ? list.map((k) => `\`${k}\``).join(", ") : "—");
const pct = (n: number) => `${Math.round(n * 100)}%`;
const lines = [
  "| root cause | requires one of | supported by | argued against by | explains |",
  "|---|---|---|---|---|",
];
for (const cause of ROOT_CAUSES) {
  if (cause.id === "none") {
    const { minConfidence, minCoverage } = rules.scoring;
    lines.push(
      `| \`none\` | no cause reaches confidence ${minConfidence} (or coverage < ${pct(minCoverage)}: inconclusive) | ${code([...rules.applicationKinds])} (application-level) | any cause above | — |`,
    );
    continue;
  }
  const rule = rules.rules.find((r) => r.id === cause.id);
  if (!rule) {
    lines.push(`| \`${cause.id}\` | (no rule) | | | |`);
    continue;
  }
  lines.push(
    `| \`${cause.id}\` | ${code(kinds(rule.requires))} | ${code(kinds(rule.supports))} | ${code(kinds(rule.contrary))} | ${code(rule.explains)} |`,
  );
}
console.log(lines.join("\n"));
