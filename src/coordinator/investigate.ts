import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pLimit from "p-limit";
import { createActor, toPromise } from "xstate";
import type { Incident } from "../domain/incident.ts";
import type { LaneName } from "../domain/lane.ts";
import type { TimeWindow } from "../domain/time.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import { investigationMachine } from "../../workflows/investigation.machine.ts";
import { createInvestigationActors } from "./actors.ts";
import { DEFAULT_LIMITS, type InvestigationContext, type InvestigationLimits, type NodeInfo } from "./investigation-types.ts";
import type { LaneResult } from "./lane-runner.ts";
import { discoverTools } from "./tool-catalog.ts";
import { ToolCaller, type CallRecord } from "./tool-calls.ts";

export type ProgressEvent =
  | { type: "call-start"; lane: LaneName; node: string; tool: string }
  | { type: "call-end"; lane: LaneName; node: string; tool: string; record: CallRecord }
  | { type: "lane-done"; lane: LaneName; result: LaneResult }
  | { type: "state"; value: string };

export interface InvestigateDeps {
  client: Client;
  nodes: readonly NodeInfo[];
  reasoner: Reasoner;
  limits?: Partial<InvestigationLimits>;
  signal?: AbortSignal;
  now?: () => number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface InvestigationOutcome {
  state: "reported" | "refused" | "failed";
  context: InvestigationContext;
  startedAt: number;
  totalMs: number;
}

/** Runs one investigation through the machine and returns its final context. */
export async function investigate(request: { investigationId: string; incident: Incident; window?: TimeWindow }, deps: InvestigateDeps): Promise<InvestigationOutcome> {
  const now = deps.now ?? (() => performance.timeOrigin + performance.now());
  const startedAt = now();
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const signal = deps.signal ?? new AbortController().signal;
  const { tools, order } = await discoverTools(deps.client);
  const caller = new ToolCaller({
    client: deps.client,
    overall: pLimit(limits.overallConcurrency),
    callTimeoutMs: limits.callTimeoutMs,
    signal,
    now,
    onCall: (e) => {
      if (e.phase === "start") deps.onProgress?.({ type: "call-start", lane: e.lane, node: e.node, tool: e.tool });
      else if (e.record) deps.onProgress?.({ type: "call-end", lane: e.lane, node: e.node, tool: e.tool, record: e.record });
    },
  });
  const actors = createInvestigationActors({
    client: deps.client,
    caller,
    tools,
    toolOrder: order,
    nodes: deps.nodes,
    reasoner: deps.reasoner,
    signal,
    now,
    onLaneDone: (lane, result) => deps.onProgress?.({ type: "lane-done", lane, result }),
  });
  const input = { investigationId: request.investigationId, incident: request.incident, limits, ...(request.window ? { window: request.window } : {}) };
  const actor = createActor(investigationMachine.provide({ actors }), { input });
  actor.subscribe((snapshot) => deps.onProgress?.({ type: "state", value: JSON.stringify(snapshot.value) }));
  const cancel = () => actor.stop();
  signal.addEventListener("abort", cancel, { once: true });
  actor.start();
  try {
    await toPromise(actor);
  } catch {
    // A stopped actor rejects; its last snapshot still says where it got to.
  } finally {
    signal.removeEventListener("abort", cancel);
  }
  const snapshot = actor.getSnapshot();
  const state = snapshot.value === "reported" || snapshot.value === "refused" ? snapshot.value : "failed";
  const context = snapshot.context;
  if (state === "failed" && !context.failure) context.failure = signal.aborted ? "investigation cancelled" : `stopped in state ${JSON.stringify(snapshot.value)}`;
  return { state, context, startedAt, totalMs: now() - startedAt };
}
