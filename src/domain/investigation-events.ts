import type { InvestigationContext, InvestigationLimits, Scope } from "./investigation.ts";
import type { LaneName } from "./lane.ts";
import type { Approval, RemediationProposal } from "./remediation.ts";
import type { CallRecord, LaneResult } from "./tool-call.ts";

/** A person's decision on the proposal, from the terminal prompt or from `fathom approve`. */
export interface DecideEvent {
  type: "DECIDE";
  approval: Approval;
  /** When the decision reached the machine (expiry is judged against it, keeping guards pure). */
  at: string;
}

/** The approval source ended without a decision (the prompt was dismissed). */
export interface NoDecisionEvent {
  type: "NO_DECISION";
}

/** Every event the investigation machine accepts from outside. */
export type InvestigationEvent = DecideEvent | NoDecisionEvent;

/** What each of the machine's actors is given. */
export interface LaneActorInput {
  lane: LaneName;
  scope: Scope;
  limits: InvestigationLimits;
}

export interface SynthesisActorInput {
  context: InvestigationContext;
}

export interface RemediationActorInput {
  context: InvestigationContext;
  proposal: RemediationProposal;
}

export interface ExecuteActorInput extends RemediationActorInput {
  approval: Approval;
}

/** What an investigation tells a watcher (the live view) while it runs. */
export type ProgressEvent =
  | { type: "call-start"; lane: LaneName; node: string; tool: string }
  | { type: "call-end"; lane: LaneName; node: string; tool: string; record: CallRecord }
  | { type: "lane-done"; lane: LaneName; result: LaneResult }
  | { type: "state"; value: string };
