import type { LaneName } from "./lane.ts";
import type { Severity } from "./severity.ts";
import type { ToolReport } from "./tool-report.ts";

export type CallStatus = "ok" | "no_data" | "error" | "failed" | "timed-out";

/** The outcome of one tool call on one node, whatever happened. */
export interface CallRecord {
  node: string;
  tool: string;
  /** The tool's home lane: reports are filed there whichever lane asked first, so order is stable. */
  lane: LaneName;
  status: CallStatus;
  report?: ToolReport;
  error?: string;
  durationMs: number;
}

/** A call as reports show it: what ran where, how it went and what it found, without the evidence. */
export interface CallSummary {
  tool: string;
  node: string;
  lane: LaneName;
  status: CallStatus;
  severity: Severity;
  findings: number;
  durationMs: number;
}

/** One lane's work, as the lane reports it to the investigation. */
export interface LaneResult {
  lane: LaneName;
  status: "done" | "timed-out" | "failed";
  /** Every call this lane asked for, including calls it joined. */
  calls: CallRecord[];
  toolCalls: number;
  durationMs: number;
  /** Work left undone (budget or deadline), said plainly. */
  notes: string[];
}
