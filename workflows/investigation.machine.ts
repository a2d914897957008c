import { assign, fromPromise, setup, type DoneActorEvent, type ErrorActorEvent } from "xstate";
import type { LaneName } from "../src/domain/lane.ts";
import type { LaneResult } from "../src/coordinator/lane-runner.ts";
import type { InvestigationContext, InvestigationInput, InvestigationLimits, Scope, Synthesis } from "../src/coordinator/investigation-types.ts";

export interface LaneActorInput {
  lane: LaneName;
  scope: Scope;
  limits: InvestigationLimits;
}

export interface SynthesisActorInput {
  context: InvestigationContext;
}

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`actor "${name}" was not provided: build the machine with createInvestigationActors()`);
  });

/** A lane's region: run it, and end in done, failed or timed-out (a backstop behind the lane's own deadline). */
function laneRegion(lane: LaneName) {
  return {
    initial: "running" as const,
    states: {
      running: {
        invoke: {
          id: `lane-${lane}`,
          src: "lane" as const,
          input: ({ context }: { context: InvestigationContext }): LaneActorInput => ({ lane, scope: context.scope as Scope, limits: context.limits }),
          onDone: { target: "done" as const, actions: { type: "recordLane" as const, params: { lane } } },
          onError: { target: "failed" as const, actions: { type: "recordLaneFailure" as const, params: { lane } } },
        },
        after: { laneBackstop: { target: "timedOut" as const, actions: { type: "recordLaneTimeout" as const, params: { lane } } } },
      },
      done: { type: "final" as const },
      failed: { type: "final" as const },
      timedOut: { type: "final" as const },
    },
  };
}

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/**
 * The investigation, as configuration: received → scoped → investigating (four lanes in parallel)
 * → synthesizing → reported, with refused, failed and timeout paths. Effects are actors supplied
 * with `machine.provide()` by createInvestigationActors(deps).
 */
export const investigationMachine = setup({
  types: {
    context: {} as InvestigationContext,
    input: {} as InvestigationInput,
  },
  actors: {
    scope: notProvided("scope") as unknown as ReturnType<typeof fromPromise<Scope, InvestigationContext>>,
    lane: notProvided("lane") as unknown as ReturnType<typeof fromPromise<LaneResult, LaneActorInput>>,
    synthesize: notProvided("synthesize") as unknown as ReturnType<typeof fromPromise<Synthesis, SynthesisActorInput>>,
  },
  delays: {
    scopeTimeout: ({ context }) => context.limits.scopeTimeoutMs,
    // The lane stops itself at its deadline and reports what it has; this only catches a lane that hangs.
    laneBackstop: ({ context }) => context.limits.laneDeadlineMs + 5_000,
    synthesisTimeout: ({ context }) => context.limits.synthesisTimeoutMs,
  },
  actions: {
    recordLane: assign(({ context, event }, params: { lane: LaneName }) => ({
      lanes: { ...context.lanes, [params.lane]: (event as DoneActorEvent<LaneResult>).output },
    })),
    recordLaneFailure: assign(({ context, event }, params: { lane: LaneName }) => ({
      lanes: {
        ...context.lanes,
        [params.lane]: { lane: params.lane, status: "failed", calls: [], toolCalls: 0, durationMs: 0, notes: [`lane failed: ${errorText((event as ErrorActorEvent).error)}`] } satisfies LaneResult,
      },
    })),
    recordLaneTimeout: assign(({ context }, params: { lane: LaneName }) => ({
      lanes: {
        ...context.lanes,
        [params.lane]: { lane: params.lane, status: "timed-out", calls: [], toolCalls: 0, durationMs: context.limits.laneDeadlineMs, notes: ["lane did not report by its deadline"] } satisfies LaneResult,
      },
    })),
  },
  guards: {
    inScope: ({ context }) => context.scope !== undefined && context.scope.refused === undefined && context.scope.nodes.length > 0,
  },
}).createMachine({
  id: "investigation",
  context: ({ input }) => ({ ...input, lanes: {} }),
  initial: "received",
  states: {
    received: {
      invoke: {
        id: "scope",
        src: "scope",
        input: ({ context }) => context,
        onDone: { target: "scoped", actions: assign({ scope: ({ event }) => event.output }) },
        onError: { target: "failed", actions: assign({ failure: ({ event }) => `scoping failed: ${errorText(event.error)}` }) },
      },
      after: { scopeTimeout: { target: "failed", actions: assign({ failure: "scoping timed out" }) } },
    },
    scoped: {
      always: [{ guard: "inScope", target: "investigating" }, { target: "refused" }],
    },
    investigating: {
      type: "parallel",
      states: {
        network: laneRegion("network"),
        service: laneRegion("service"),
        runtime: laneRegion("runtime"),
        host: laneRegion("host"),
      },
      onDone: "synthesizing",
    },
    synthesizing: {
      invoke: {
        id: "synthesize",
        src: "synthesize",
        input: ({ context }) => ({ context }),
        onDone: { target: "reported", actions: assign({ synthesis: ({ event }) => event.output }) },
        onError: { target: "failed", actions: assign({ failure: ({ event }) => `synthesis failed: ${errorText(event.error)}` }) },
      },
      after: { synthesisTimeout: { target: "failed", actions: assign({ failure: "synthesis timed out" }) } },
    },
    reported: { type: "final" },
    refused: { type: "final" },
    failed: { type: "final" },
  },
});

export type InvestigationMachine = typeof investigationMachine;
