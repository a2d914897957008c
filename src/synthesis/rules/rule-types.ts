import type { Severity } from "../../domain/severity.ts";
import type { IdentifiedFinding } from "../../domain/investigation.ts";
import type { RootCauseId } from "../../domain/root-causes.ts";

/** A kind of evidence and how much it weighs for (or against) a cause. */
export interface Signal {
  /** Finding kind, or several kinds that mean the same thing. */
  kind: string | readonly string[];
  /** Least severity that counts (default: above info — info findings are facts, not symptoms). */
  minSeverity?: Severity;
  /** A finer condition on the finding's typed attributes. */
  where?: (finding: IdentifiedFinding) => boolean;
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
  id: RootCauseId;
  requires: readonly Signal[];
  supports?: readonly Signal[];
  contrary?: readonly Signal[];
  explains?: readonly RootCauseId[];
  /** One sentence for the report, given the evidence that matched. */
  summary: string;
}
