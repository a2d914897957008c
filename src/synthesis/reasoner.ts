import type { Incident } from "../domain/incident.ts";
import type { Coverage, Verdict } from "../domain/report.ts";
import type { RootCause } from "../domain/root-cause.ts";
import type { WindowMs } from "../domain/time.ts";
import type { IdentifiedFinding } from "../domain/investigation.ts";

export interface ReasonerInput {
  incident: Incident;
  findings: readonly IdentifiedFinding[];
  coverage: Coverage;
  nodes: readonly string[];
  window: WindowMs;
}

export interface ReasonerOutput {
  rootCauses: RootCause[];
  verdict: Verdict;
}

/**
 * Turns findings into ranked root causes. The embedded rules reasoner is the default; a
 * model-backed reasoner implements the same interface, and every answer passes the grounding check.
 */
export interface Reasoner {
  readonly name: string;
  /** A team's own root-cause ids (custom.<name>) this reasoner may answer besides the catalog's. */
  readonly customIds?: ReadonlySet<string>;
  reason(input: ReasonerInput, signal?: AbortSignal): Promise<ReasonerOutput>;
}
