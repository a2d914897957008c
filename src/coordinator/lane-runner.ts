import pLimit from "p-limit";
import type { LaneName } from "../domain/lane.ts";
import type { TimeWindow } from "../domain/time.ts";
import { handoffsInto } from "./handoffs.ts";
import type { CallRecord, LaneResult } from "../domain/tool-call.ts";
import type { ToolCaller, ToolInfo } from "./tool-calls.ts";

export interface LaneInput {
  lane: LaneName;
  nodes: string[];
  window?: TimeWindow;
}

export interface LaneLimits {
  /** Concurrent calls this lane runs. */
  concurrency: number;
  /** Calls this lane may start (joins of calls already made are free). */
  budget: number;
  /** Milliseconds this lane may run before it reports what it has. */
  deadlineMs: number;
}

export interface LaneDeps {
  caller: ToolCaller;
  tools: ReadonlyMap<string, ToolInfo>;
  limits: LaneLimits;
  signal: AbortSignal;
  now: () => number;
}

/**
 * One lane: call its own tools on every node, then follow what the findings suggest
 * (`correlateWith`, across lanes too) until nothing new is suggested, the budget is spent or the
 * deadline passes. A failed tool is a gap, never the end of the lane.
 */
export async function runLane(input: LaneInput, deps: LaneDeps): Promise<LaneResult> {
  const started = deps.now();
  const limit = pLimit(deps.limits.concurrency);
  const asked = new Set<string>();
  const calls: CallRecord[] = [];
  const notes: string[] = [];
  let startedCalls = 0;
  let timedOut = false;
  const deadline = started + deps.limits.deadlineMs;

  // Hints found by a call are scheduled, not awaited, inside its slot: awaiting them there would
  // deadlock a lane whose every slot waits on work that needs a slot.
  const pending = new Set<Promise<void>>();
  const schedule = (node: string, tool: string): void => {
    const info = deps.tools.get(tool);
    const k = `${node}\u0000${tool}`;
    if (!info || asked.has(k)) return;
    asked.add(k);
    const task: Promise<void> = limit(async () => {
      if (deps.signal.aborted) return;
      if (deps.now() >= deadline) {
        timedOut = true;
        return;
      }
      const args = await handoffArgs(node, info, input, deps);
      const joined = deps.caller.has(node, tool, args);
      if (!joined) {
        if (startedCalls >= deps.limits.budget) {
          notes.push(`budget of ${deps.limits.budget} calls spent before ${tool} on ${node}`);
          return;
        }
        startedCalls += 1;
      }
      const record = await raceDeadline(deps.caller.call(info, node, args, input.lane), deadline, deps.now);
      if (!record) {
        timedOut = true;
        notes.push(`${tool} on ${node} still running at the lane deadline`);
        return;
      }
      calls.push(record);
      const next = new Set<string>();
      for (const finding of record.report?.findings ?? []) {
        if (finding.severity === "info") continue;
        for (const hint of finding.correlateWith) next.add(hint);
      }
      for (const hint of next) schedule(node, hint);
    });
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };

  const own = [...deps.tools.values()].filter((t) => t.lane === input.lane).map((t) => t.name);
  for (const node of input.nodes) for (const tool of own) schedule(node, tool);
  while (pending.size > 0) await Promise.all([...pending]);
  if (timedOut) notes.push(`lane deadline of ${deps.limits.deadlineMs} ms reached`);
  return {
    lane: input.lane,
    status: timedOut ? "timed-out" : "done",
    calls,
    toolCalls: startedCalls,
    durationMs: deps.now() - started,
    notes: [...new Set(notes)],
  };
}

/** Inputs a tool takes from other tools' findings: those calls are made (or joined) first. */
async function handoffArgs(
  node: string,
  info: ToolInfo,
  input: LaneInput,
  deps: LaneDeps,
): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = {};
  if (input.window) args.window = input.window;
  for (const handoff of handoffsInto(info.name)) {
    const provider = deps.tools.get(handoff.from.tool);
    if (!provider || !info.inputs.has(handoff.to.input)) continue;
    const providerArgs = input.window ? { window: input.window } : {};
    const record = await deps.caller.call(provider, node, providerArgs, input.lane);
    const value = record.report?.findings.find((f) => f.kind === handoff.from.kind)?.attributes[handoff.from.attribute];
    if (value !== undefined && value !== null) args[handoff.to.input] = value;
  }
  return args;
}

async function raceDeadline<T>(work: Promise<T>, deadline: number, now: () => number): Promise<T | undefined> {
  const remaining = deadline - now();
  if (remaining <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), remaining);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
