import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pLimit from "p-limit";
import { createActor, toPromise, type Snapshot } from "xstate";
import type { Incident } from "../domain/incident.ts";
import type { ProgressEvent } from "../domain/investigation-events.ts";
import type { TimeWindow } from "../domain/time.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import { investigationMachine, type RemediationActors } from "../../workflows/investigation.machine.ts";
import { createInvestigationActors } from "./actors.ts";
import {
  DEFAULT_LIMITS,
  type InvestigationInput,
  type InvestigationLimits,
  type InvestigationOutcome,
  type NodeInfo,
  type RemediationSettings,
} from "../domain/investigation.ts";
import { discoverTools } from "./tool-catalog.ts";
import { ToolCaller } from "./tool-calls.ts";

export interface InvestigateDeps {
  client: Client;
  nodes: readonly NodeInfo[];
  reasoner: Reasoner;
  limits?: Partial<InvestigationLimits>;
  signal?: AbortSignal;
  now?: () => number;
  onProgress?: (event: ProgressEvent) => void;
  /** Remediation after the report: the gate's settings and its actors (propose, approve, execute, verify). */
  remediation?: { settings: RemediationSettings; actors: RemediationActors };
  /** Called with the persisted snapshot after every transition (durable investigations). */
  persist?: (snapshot: unknown, value: string) => void;
  /** A persisted snapshot to resume from instead of starting afresh. */
  snapshot?: unknown;
  /** Stop (and return) once the machine waits for a decision no one here will give. */
  stopWhenAwaitingApproval?: boolean;
}

/**
 * Runs one investigation through the machine and returns where it stopped. The report, when there
 * is one, is the context's `report`: the machine built it on reaching `reported`.
 */
export async function investigate(
  request: { investigationId: string; incident: Incident; window?: TimeWindow },
  deps: InvestigateDeps,
): Promise<InvestigationOutcome> {
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
      else if (e.record)
        deps.onProgress?.({ type: "call-end", lane: e.lane, node: e.node, tool: e.tool, record: e.record });
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
  const input: InvestigationInput = {
    investigationId: request.investigationId,
    startedAt,
    incident: request.incident,
    limits,
    ...(request.window ? { window: request.window } : {}),
    ...(deps.remediation ? { remediation: deps.remediation.settings } : {}),
  };
  const machine = investigationMachine.provide({ actors: { ...actors, ...(deps.remediation?.actors ?? {}) } });
  const actor = createActor(
    machine,
    deps.snapshot ? { input, snapshot: deps.snapshot as Snapshot<unknown> } : { input },
  );
  let stopWaiting: (() => void) | undefined;
  const waiting = new Promise<void>((resolve) => {
    stopWaiting = resolve;
  });
  actor.subscribe((snapshot) => {
    const value = typeof snapshot.value === "string" ? snapshot.value : JSON.stringify(snapshot.value);
    deps.onProgress?.({ type: "state", value });
    deps.persist?.(actor.getPersistedSnapshot(), value);
    if (deps.stopWhenAwaitingApproval && value === "awaitingApproval") stopWaiting?.();
  });
  const cancel = () => actor.stop();
  signal.addEventListener("abort", cancel, { once: true });
  actor.start();
  try {
    await Promise.race([toPromise(actor), waiting]);
  } catch {
    // A stopped actor rejects; its last snapshot still says where it got to.
  } finally {
    signal.removeEventListener("abort", cancel);
  }
  const snapshot = actor.getSnapshot();
  const final = typeof snapshot.value === "string" ? snapshot.value : JSON.stringify(snapshot.value);
  if (final === "awaitingApproval") actor.stop();
  const context = snapshot.context;
  const state = final === "refused" ? "refused" : context.report ? "reported" : "failed";
  if (state === "failed" && !context.failure)
    context.failure = signal.aborted ? "investigation cancelled" : `stopped in state ${final}`;
  return { state, final, context };
}
