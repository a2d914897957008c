import { assign, fromPromise, raise, setup, type DoneActorEvent, type ErrorActorEvent } from "xstate";
import type { LaneName } from "../src/domain/lane.ts";
import type { LaneResult } from "../src/coordinator/lane-runner.ts";
import type {
  ExecutionOutcome,
  InvestigationContext,
  InvestigationInput,
  InvestigationLimits,
  Scope,
  Synthesis,
  VerificationOutcome,
} from "../src/coordinator/investigation-types.ts";
import type { Approval, RemediationProposal } from "../src/domain/remediation.ts";
import { checkDecision } from "../src/remediation/decision.ts";

export interface LaneActorInput {
  lane: LaneName;
  scope: Scope;
  limits: InvestigationLimits;
}

export interface SynthesisActorInput {
  context: InvestigationContext;
}

/** A person's decision on the proposal, from the terminal prompt or from `fathom approve`. */
export interface DecideEvent {
  type: "DECIDE";
  approval: Approval;
  /** When the decision reached the machine (expiry is judged against it, keeping guards pure). */
  at: string;
}

export interface RemediationActorInput {
  context: InvestigationContext;
  proposal: RemediationProposal;
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
          input: ({ context }: { context: InvestigationContext }): LaneActorInput => ({
            lane,
            scope: context.scope as Scope,
            limits: context.limits,
          }),
          onDone: { target: "done" as const, actions: { type: "recordLane" as const, params: { lane } } },
          onError: { target: "failed" as const, actions: { type: "recordLaneFailure" as const, params: { lane } } },
        },
        after: {
          laneBackstop: {
            target: "timedOut" as const,
            actions: { type: "recordLaneTimeout" as const, params: { lane } },
          },
        },
      },
      done: { type: "final" as const },
      failed: { type: "final" as const },
      timedOut: { type: "final" as const },
    },
  };
}

/** The proposal the approval gate is about: the first executable one. */
export function activeProposal(context: InvestigationContext): RemediationProposal | undefined {
  return context.proposals?.find((p) => p.executable && p.requiresApproval);
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
    propose: notProvided("propose") as unknown as ReturnType<
      typeof fromPromise<RemediationProposal[], SynthesisActorInput>
    >,
    // Resolves with a decision (the terminal prompt), or never (decisions arrive as DECIDE events).
    approvalSource: notProvided("approvalSource") as unknown as ReturnType<
      typeof fromPromise<Approval | undefined, RemediationActorInput>
    >,
    execute: notProvided("execute") as unknown as ReturnType<
      typeof fromPromise<ExecutionOutcome, RemediationActorInput & { approval: Approval }>
    >,
    verify: notProvided("verify") as unknown as ReturnType<
      typeof fromPromise<VerificationOutcome, RemediationActorInput>
    >,
  },
  delays: {
    scopeTimeout: ({ context }) => context.limits.scopeTimeoutMs,
    // The lane stops itself at its deadline and reports what it has; this only catches a lane that hangs.
    laneBackstop: ({ context }) => context.limits.laneDeadlineMs + 5_000,
    synthesisTimeout: ({ context }) => context.limits.synthesisTimeoutMs,
    approvalTtl: ({ context }) => context.remediation?.approvalTtlMs ?? 0,
    executionTimeout: ({ context }) => context.remediation?.executionTimeoutMs ?? 0,
  },
  actions: {
    recordLane: assign(({ context, event }, params: { lane: LaneName }) => ({
      lanes: { ...context.lanes, [params.lane]: (event as DoneActorEvent<LaneResult>).output },
    })),
    recordLaneFailure: assign(({ context, event }, params: { lane: LaneName }) => ({
      lanes: {
        ...context.lanes,
        [params.lane]: {
          lane: params.lane,
          status: "failed",
          calls: [],
          toolCalls: 0,
          durationMs: 0,
          notes: [`lane failed: ${errorText((event as ErrorActorEvent).error)}`],
        } satisfies LaneResult,
      },
    })),
    recordLaneTimeout: assign(({ context }, params: { lane: LaneName }) => ({
      lanes: {
        ...context.lanes,
        [params.lane]: {
          lane: params.lane,
          status: "timed-out",
          calls: [],
          toolCalls: 0,
          durationMs: context.limits.laneDeadlineMs,
          notes: ["lane did not report by its deadline"],
        } satisfies LaneResult,
      },
    })),
  },
  guards: {
    remediationEnabled: ({ context }) =>
      context.remediation?.enabled === true && context.synthesis?.verdict === "explained",
    hasExecutableProposal: ({ context }) => activeProposal(context) !== undefined,
    approvedForThisPlan: ({ context, event }) => {
      const proposal = activeProposal(context);
      return (
        proposal !== undefined &&
        checkDecision(proposal, (event as DecideEvent).approval, (event as DecideEvent).at).ok &&
        (event as DecideEvent).approval.decision === "approved"
      );
    },
    rejectedForThisPlan: ({ context, event }) => {
      const proposal = activeProposal(context);
      return (
        proposal !== undefined &&
        checkDecision(proposal, (event as DecideEvent).approval, (event as DecideEvent).at).ok &&
        (event as DecideEvent).approval.decision === "rejected"
      );
    },
    inScope: ({ context }) =>
      context.scope !== undefined && context.scope.refused === undefined && context.scope.nodes.length > 0,
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
        onError: {
          target: "failed",
          actions: assign({ failure: ({ event }) => `scoping failed: ${errorText(event.error)}` }),
        },
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
        onError: {
          target: "failed",
          actions: assign({ failure: ({ event }) => `synthesis failed: ${errorText(event.error)}` }),
        },
      },
      after: { synthesisTimeout: { target: "failed", actions: assign({ failure: "synthesis timed out" }) } },
    },
    // The report exists from here on; remediation is optional and never runs without a decision.
    reported: {
      always: [{ guard: "remediationEnabled", target: "proposing" }, { target: "done" }],
    },
    proposing: {
      invoke: {
        id: "propose",
        src: "propose",
        input: ({ context }) => ({ context }),
        onDone: { target: "proposed", actions: assign({ proposals: ({ event }) => event.output }) },
        onError: {
          target: "failed",
          actions: assign({ failure: ({ event }) => `proposing failed: ${errorText(event.error)}` }),
        },
      },
    },
    proposed: {
      always: [{ guard: "hasExecutableProposal", target: "awaitingApproval" }, { target: "done" }],
    },
    awaitingApproval: {
      invoke: {
        id: "approvalSource",
        src: "approvalSource",
        input: ({ context }) => ({ context, proposal: activeProposal(context) as RemediationProposal }),
        onDone: {
          actions: raise(({ event }) =>
            event.output
              ? ({ type: "DECIDE", approval: event.output, at: event.output.decidedAt } as const)
              : ({ type: "NO_DECISION" } as const),
          ),
        },
        onError: {
          target: "failed",
          actions: assign({ failure: ({ event }) => `approval prompt failed: ${errorText(event.error)}` }),
        },
      },
      on: {
        DECIDE: [
          {
            guard: "approvedForThisPlan",
            target: "executing",
            actions: assign({ approval: ({ event }) => (event as DecideEvent).approval }),
          },
          {
            guard: "rejectedForThisPlan",
            target: "rejected",
            actions: assign({ approval: ({ event }) => (event as DecideEvent).approval }),
          },
          {
            actions: assign({
              refusals: ({ context, event }) => {
                const proposal = activeProposal(context);
                const verdict = proposal
                  ? checkDecision(proposal, (event as DecideEvent).approval, (event as DecideEvent).at)
                  : { ok: false as const, reason: "no proposal" };
                return [...(context.refusals ?? []), verdict.ok ? "decision not applicable" : verdict.reason];
              },
            }),
          },
        ],
      },
      after: { approvalTtl: { target: "expired" } },
    },
    executing: {
      invoke: {
        id: "execute",
        src: "execute",
        input: ({ context }) => ({
          context,
          proposal: activeProposal(context) as RemediationProposal,
          approval: context.approval as Approval,
        }),
        onDone: { target: "verifying", actions: assign({ execution: ({ event }) => event.output }) },
        onError: {
          target: "failed",
          actions: assign({ failure: ({ event }) => `execution failed: ${errorText(event.error)}` }),
        },
      },
      after: {
        executionTimeout: { target: "failed", actions: assign({ failure: "execution did not finish in time" }) },
      },
    },
    verifying: {
      invoke: {
        id: "verify",
        src: "verify",
        input: ({ context }) => ({ context, proposal: activeProposal(context) as RemediationProposal }),
        onDone: { target: "done", actions: assign({ verification: ({ event }) => event.output }) },
        onError: {
          target: "failed",
          actions: assign({ failure: ({ event }) => `verification failed: ${errorText(event.error)}` }),
        },
      },
    },
    done: { type: "final" },
    rejected: { type: "final" },
    expired: { type: "final" },
    refused: { type: "final" },
    failed: { type: "final" },
  },
});

export type InvestigationMachine = typeof investigationMachine;
