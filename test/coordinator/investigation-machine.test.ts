import { createActor, fromPromise, type AnyStateNode } from "xstate";
import { getShortestPaths } from "xstate/graph";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  ExecutionOutcome,
  InvestigationInput,
  Scope,
  Synthesis,
  VerificationOutcome,
} from "../../src/domain/investigation.ts";
import { DEFAULT_LIMITS } from "../../src/domain/investigation.ts";
import type { InvestigationEvent, LaneActorInput } from "../../src/domain/investigation-events.ts";
import type { LaneResult } from "../../src/domain/tool-call.ts";
import type { Approval, RemediationProposal } from "../../src/domain/remediation.ts";
import { investigationMachine } from "../../workflows/investigation.machine.ts";

const input: InvestigationInput = {
  investigationId: "inv-test",
  startedAt: Date.parse("2026-11-24T10:30:05.000Z"),
  incident: {
    id: "i",
    source: "manual",
    nodes: [],
    title: "t",
    startsAt: "2026-11-24T10:30:00.000Z",
    fingerprint: "f",
    labels: {},
  },
  limits: { ...DEFAULT_LIMITS, scopeTimeoutMs: 1_000, laneDeadlineMs: 2_000, synthesisTimeoutMs: 1_000 },
  remediation: { enabled: true, approvalTtlMs: 60_000, executionTimeoutMs: 60_000 },
};
const proposal: RemediationProposal = {
  id: "p-1",
  investigationId: "inv-test",
  rootCause: "net.conntrack-exhaustion",
  node: "n1",
  summary: "raise the conntrack limit",
  executable: true,
  document: "Fathom-RaiseConntrackLimit",
  parameters: { ConntrackMax: 524288 },
  targets: ["i-0abc123def4567890"],
  risk: "low",
  expectedEffect: "no more drops",
  rollback: "lower it again",
  manualSteps: [],
  verification: { tool: "read_dmesg", clears: ["kernel.conntrack-table-full"] },
  requiresApproval: true,
  policyVersion: "v1",
  planHash: "sha256:abc",
  status: "pending",
  createdAt: "2026-11-24T10:31:00.000Z",
};
const approval = (decision: "approved" | "rejected", planHash = proposal.planHash): Approval => ({
  id: `a-${decision}-${planHash}`,
  proposalId: proposal.id,
  planHash,
  decision,
  approver: { user: "oncall" },
  decidedAt: "2026-11-24T10:32:00.000Z",
  expiresAt: "2026-11-24T11:32:00.000Z",
});
const inScope: Scope = {
  nodes: [{ node: "n1", bundle: "b", collectedFrom: "archive-name" }],
  window: { start: "2026-11-23T10:30:00.000Z", end: "2026-11-24T10:30:00.000Z" },
};
const refused: Scope = { ...inScope, nodes: [], refused: "no bundle for that node" };
const laneResult = (lane: string): LaneResult => ({
  lane: lane as LaneResult["lane"],
  status: "done",
  calls: [],
  toolCalls: 0,
  durationMs: 1,
  notes: [],
});
const synthesis: Synthesis = {
  calls: [],
  findings: [],
  rootCauses: [
    {
      id: "net.conntrack-exhaustion",
      confidence: 0.8,
      summary: "s",
      nodes: ["n1"],
      supporting: [],
      contrary: [],
      ruledOut: [],
    },
  ],
  verdict: "explained",
  coverage: { toolCalls: 1, ok: 1, noData: 0, errors: 0, failed: 0, ratio: 1 },
  gaps: [],
  durationMs: 1,
  finishedAt: Date.parse("2026-11-24T10:30:06.000Z"),
};

/**
 * Every event the machine can receive from its own actors and delays, derived from the machine's
 * definition: a new invoke or `after` is covered without editing this test.
 */
function machineEvents(): Array<{ type: string; [k: string]: unknown }> {
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  const walk = (node: AnyStateNode) => {
    for (const invoke of node.invoke) {
      const outputs =
        invoke.id === "scope"
          ? [inScope, refused]
          : invoke.id === "synthesize"
            ? [synthesis, { ...synthesis, verdict: "nothing-found" }]
            : invoke.id === "propose"
              ? [[proposal], []]
              : invoke.id === "approvalSource"
                ? [undefined]
                : invoke.id === "execute"
                  ? [{ executionId: "e-1", status: "Success", clientToken: "00000000-0000-5000-8000-000000000000" }]
                  : invoke.id === "verify"
                    ? [{ cleared: true, remaining: [], tool: "read_dmesg", source: "after" }]
                    : [laneResult(invoke.id.replace("lane-", ""))];
      for (const output of outputs) events.push({ type: `xstate.done.actor.${invoke.id}`, output });
      events.push({ type: `xstate.error.actor.${invoke.id}`, error: new Error(`${invoke.id} broke`) });
    }
    for (const transition of node.after) events.push({ type: transition.eventType });
    for (const type of Object.keys(node.config.on ?? {})) {
      if (type === "DECIDE") {
        for (const a of [approval("approved"), approval("rejected"), approval("approved", "sha256:changed-plan")])
          events.push({ type, approval: a, at: "2026-11-24T10:32:30.000Z" });
        events.push({ type, approval: approval("approved"), at: "2026-11-24T12:00:00.000Z" });
      } else events.push({ type });
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(investigationMachine.root);
  return events;
}

describe("the investigation machine's paths", () => {
  const events = machineEvents();
  const paths = getShortestPaths(investigationMachine, {
    input,
    // The machine's own done, error and delay events as well as its declared ones: the walk
    // sends what the running machine would receive.
    events: events as InvestigationEvent[],
    serializeState: (snapshot) => JSON.stringify(snapshot.value),
  });
  const reached = paths.map((p) => JSON.stringify(p.state.value));

  it("derives a done and an error event for every invoked actor, and one event per delay", () => {
    const types = new Set(events.map((e) => e.type));
    for (const id of [
      "scope",
      "lane-network",
      "lane-service",
      "lane-runtime",
      "lane-host",
      "synthesize",
      "propose",
      "approvalSource",
      "execute",
      "verify",
    ]) {
      expect(types.has(`xstate.done.actor.${id}`)).toBe(true);
      expect(types.has(`xstate.error.actor.${id}`)).toBe(true);
    }
    expect([...types].filter((t) => t.startsWith("xstate.after.")).length).toBe(8);
  });

  it.each(["done", "refused", "failed", "rejected", "expired"])("reaches the final state %s", (state) => {
    expect(reached).toContain(JSON.stringify(state));
  });

  it.each(["network", "service", "runtime", "host"])("lets the %s lane end done, failed or timed out", (lane) => {
    for (const end of ["done", "failed", "timedOut"]) {
      expect(
        reached.some((r) => r.includes(`"${lane}":"${end}"`)),
        `${lane} ${end}`,
      ).toBe(true);
    }
  });

  it("has no path that skips synthesis on the way to a report", () => {
    for (const path of paths.filter((p) => p.state.value === "done")) {
      expect(path.steps.some((s) => (s.event.type as string) === "xstate.done.actor.synthesize")).toBe(true);
    }
  });

  it("has no path to execution without an approval of this exact plan", () => {
    const toExecuting = paths.filter(
      (p) =>
        p.state.value === "executing" ||
        p.state.value === "verifying" ||
        p.steps.some((s) => (s.state.value as string) === "executing"),
    );
    expect(toExecuting.length).toBeGreaterThan(0);
    for (const path of toExecuting) {
      const decision = path.steps.find((s) => s.event.type === "DECIDE");
      expect(decision, "a DECIDE event precedes execution").toBeDefined();
      const event = decision?.event as unknown as { approval: Approval };
      expect(event.approval.decision).toBe("approved");
      expect(event.approval.planHash).toBe(proposal.planHash);
    }
  });
});

describe("each path's outcome with real actors", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const run = (
    actors: Partial<{
      scope: () => Promise<Scope>;
      lane: (i: LaneActorInput) => Promise<LaneResult>;
      synthesize: () => Promise<Synthesis>;
      approvalSource: () => Promise<Approval | undefined>;
      execute: () => Promise<unknown>;
    }>,
    remediation = false,
  ) => {
    const machine = investigationMachine.provide({
      actors: {
        scope: fromPromise(actors.scope ?? (async () => inScope)),
        lane: fromPromise<LaneResult, LaneActorInput>(({ input: i }) =>
          (actors.lane ?? (async (x: LaneActorInput) => laneResult(x.lane)))(i),
        ),
        synthesize: fromPromise(actors.synthesize ?? (async () => synthesis)),
        propose: fromPromise(async () => [proposal]),
        approvalSource: fromPromise(actors.approvalSource ?? (() => new Promise<undefined>(() => undefined))),
        execute: fromPromise(
          (actors.execute ??
            (async () => ({
              executionId: "e-1",
              status: "Success",
              clientToken: "00000000-0000-5000-8000-000000000000",
            }))) as () => Promise<ExecutionOutcome>,
        ),
        verify: fromPromise(async (): Promise<VerificationOutcome> => ({
          cleared: true,
          remaining: [],
          tool: "read_dmesg",
          source: "after",
        })),
      },
    });
    const { remediation: settings, ...plain } = input;
    return createActor(machine, { input: remediation ? { ...plain, remediation: settings } : plain }).start();
  };

  it("executes and verifies only after the person approves this exact plan", async () => {
    const execute = vi.fn(async () => ({
      executionId: "e-1",
      status: "Success",
      clientToken: "00000000-0000-5000-8000-000000000000",
    }));
    const actor = run({ execute }, true);
    await vi.advanceTimersByTimeAsync(10);
    expect(actor.getSnapshot().value).toBe("awaitingApproval");
    expect(execute).not.toHaveBeenCalled();
    actor.send({
      type: "DECIDE",
      approval: approval("approved", "sha256:changed-plan"),
      at: "2026-11-24T10:32:30.000Z",
    } as never);
    await vi.advanceTimersByTimeAsync(10);
    expect(actor.getSnapshot().value).toBe("awaitingApproval");
    expect(execute).not.toHaveBeenCalled();
    actor.send({ type: "DECIDE", approval: approval("approved"), at: "2026-11-24T10:32:30.000Z" } as never);
    await vi.runAllTimersAsync();
    expect(execute).toHaveBeenCalledTimes(1);
    expect(actor.getSnapshot().value).toBe("done");
    expect(actor.getSnapshot().context.verification?.cleared).toBe(true);
  });

  it("ends rejected when the person says no, and expired when nobody answers in time", async () => {
    const rejected = run({ approvalSource: async () => approval("rejected") }, true);
    await vi.runAllTimersAsync();
    expect(rejected.getSnapshot().value).toBe("rejected");
    const unanswered = run({}, true);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(unanswered.getSnapshot().value).toBe("expired");
  });

  it("fails without retrying when execution breaks", async () => {
    const actor = run(
      { approvalSource: async () => approval("approved"), execute: () => Promise.reject(new Error("AccessDenied")) },
      true,
    );
    await vi.runAllTimersAsync();
    expect(actor.getSnapshot().value).toBe("failed");
    expect(actor.getSnapshot().context.failure).toMatch(/AccessDenied/);
  });

  it("reports when every lane finishes and synthesis answers", async () => {
    const actor = run({});
    await vi.runAllTimersAsync();
    expect(actor.getSnapshot().value).toBe("done");
    expect(Object.keys(actor.getSnapshot().context.lanes).sort()).toEqual(["host", "network", "runtime", "service"]);
  });

  it("refuses an out-of-scope incident with the reason and runs no lane", async () => {
    const lane = vi.fn();
    const actor = run({ scope: async () => refused, lane });
    await vi.runAllTimersAsync();
    expect(actor.getSnapshot().value).toBe("refused");
    expect(actor.getSnapshot().context.scope?.refused).toMatch(/no bundle/);
    expect(lane).not.toHaveBeenCalled();
  });

  it("fails with a reason when scoping breaks or hangs", async () => {
    const broken = run({ scope: async () => Promise.reject(new Error("registry unavailable")) });
    await vi.runAllTimersAsync();
    expect(broken.getSnapshot().value).toBe("failed");
    expect(broken.getSnapshot().context.failure).toMatch(/registry unavailable/);
    const hung = run({ scope: () => new Promise(() => undefined) });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(hung.getSnapshot().value).toBe("failed");
    expect(hung.getSnapshot().context.failure).toMatch(/timed out/);
  });

  it("keeps investigating when one lane fails, and records the failure as that lane's result", async () => {
    const actor = run({
      lane: async (i) => (i.lane === "host" ? Promise.reject(new Error("host lane exploded")) : laneResult(i.lane)),
    });
    await vi.runAllTimersAsync();
    expect(actor.getSnapshot().value).toBe("done");
    expect(actor.getSnapshot().context.lanes.host?.status).toBe("failed");
    expect(actor.getSnapshot().context.lanes.host?.notes.join()).toMatch(/host lane exploded/);
  });

  it("gives up on a lane that never reports, at its backstop, and still synthesizes", async () => {
    const actor = run({
      lane: (i) => (i.lane === "network" ? new Promise(() => undefined) : Promise.resolve(laneResult(i.lane))),
    });
    await vi.advanceTimersByTimeAsync(input.limits.laneDeadlineMs + 5_001);
    await vi.runAllTimersAsync();
    expect(actor.getSnapshot().value).toBe("done");
    expect(actor.getSnapshot().context.lanes.network?.status).toBe("timed-out");
  });

  it("fails when synthesis breaks or does not answer in time", async () => {
    const broken = run({ synthesize: () => Promise.reject(new Error("grounding: F-999 does not exist")) });
    await vi.runAllTimersAsync();
    expect(broken.getSnapshot().value).toBe("failed");
    expect(broken.getSnapshot().context.failure).toMatch(/F-999/);
    const hung = run({ synthesize: () => new Promise(() => undefined) });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(hung.getSnapshot().value).toBe("failed");
  });
});
