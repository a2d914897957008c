import type { IdentifiedFinding } from "../../domain/investigation.ts";
import type { RootCauseId } from "../../domain/root-causes.ts";
import type { Severity } from "../../domain/severity.ts";
import type { Condition, Scoring } from "./rules-schema.ts";

/** A kind of evidence and how much it weighs for (or against) a cause, with its group resolved. */
export interface Signal {
  /** Finding kinds that mean the same thing here. */
  kinds: readonly string[];
  /** Least severity that counts (default: above info for requires/supports, any for contrary). */
  minSeverity?: Severity;
  /** A finer condition on the finding's typed attributes. */
  where?: Condition;
  weight: number;
  /** Said in ruled-out reasons and summaries. */
  why: string;
}

/**
 * What one catalog id needs: distinctive evidence (at least one `requires` signal on a node, or the
 * cause is not considered), evidence that supports it, evidence that argues against it, and the
 * downstream causes it explains (which then rank below it on the same node).
 */
export interface CauseRule {
  /** A catalog id, or a team's own custom.<name>. */
  id: RootCauseId | string;
  requires: readonly Signal[];
  supports: readonly Signal[];
  contrary: readonly Signal[];
  explains: readonly string[];
  /** One sentence for the report. */
  summary: string;
}

/** The loaded, validated rules: what the engine reasons with. */
export interface RuleSet {
  scoring: Scoring;
  /** Application-level signals that support `none` (the node is fine; the workload is not). */
  applicationKinds: ReadonlySet<string>;
  rules: readonly CauseRule[];
  /** Named lists of kinds signals may refer to (team files may add names, never redefine one). */
  groups: Readonly<Record<string, readonly string[]>>;
}

export type { IdentifiedFinding };
