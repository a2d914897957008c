import { z } from "zod";

/** Severity levels, most severe first. The one place that knows their order. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;

export const SeveritySchema = z
  .enum(SEVERITIES)
  .describe("How bad a finding is: critical > high > medium > low > info");
export type Severity = z.infer<typeof SeveritySchema>;

const rank: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** Negative when a is less severe than b, positive when more severe. */
export function compareSeverity(a: Severity, b: Severity): number {
  return rank[a] - rank[b];
}

/** The most severe of the given levels; `info` for none. */
export function maxSeverity(levels: Iterable<Severity>): Severity {
  let best: Severity = "info";
  for (const level of levels) if (rank[level] > rank[best]) best = level;
  return best;
}

/** True when `level` is at least as severe as `floor`. */
export function atLeast(level: Severity, floor: Severity): boolean {
  return rank[level] >= rank[floor];
}

/** One step less severe (never below info); used when evidence is old or has cleared. */
export function downgrade(level: Severity, steps = 1): Severity {
  const index = Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(level) + steps);
  return SEVERITIES[index] ?? "info";
}
