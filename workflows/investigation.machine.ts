import { assign, fromPromise, raise, setup } from "xstate";
import type {
  DecideEvent,
  ExecuteActorInput,
  InvestigationEvent,
  LaneActorInput,
  RemediationActorInput,
  SynthesisActorInput,
} from "../src/domain/investigation-events.ts";
import type {
  ExecutionOutcome,
  InvestigationContext,
  InvestigationInput,
  Scope,
  Synthesis,
  VerificationOutcome,
} from "../src/domain/investigation.ts";
import type { LaneName } from "../src/domain/lane.ts";
import type { Approval, RemediationProposal } from "../src/domain/remediation.ts";
import type { LaneResult } from "../src/domain/tool-call.ts";
import { checkDecision } from "../src/domain/decision.ts";
import { buildReport } from "../src/report/build-report.ts";

/** A typed placeholder: the machine states what each actor takes and gives; the factories supply them. */
function notProvided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`actor "${name}" was not provided: build the machine with createInvestigationActors()`);
  });
}

/** The proposal the approval gate is about: the first executable one. */
export function activeProposal(context: InvestigationContext): RemediationProposal | undefined {
  return context.proposals?.find((p) => p.executable && p.requiresApproval);
}

// The gate's states are entered only once a proposal exists (hasExecutableProposal), and the lanes
// only once a scope exists (inScope): these say so loudly if that ever stops being true.
function gateProposal(context: InvestigationContext): RemediationProposal {
  const proposal = activeProposal(context);
  if (!proposal) throw new Error("the approval gate has no executable proposal");
  return proposal;
}

function scopeOf(context: InvestigationContext): Scope {
  if (!context.scope) throw new Error("the lanes started without a scope");
  return context.scope;
}

function approvalOf(context: InvestigationContext): Approval {
  if (!context.approval) throw new Error("execution started without a recorded approval");
  return context.approval;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a decision was not applied to the plan, said plainly (a changed plan, an expired or replayed approval). */
function refusalOf(context: InvestigationContext, event: DecideEvent): string {
  const proposal = activeProposal(context);
  if (!proposal) return "no proposal";
  const verdict = checkDecision(proposal, event.approval, event.at);
  return verdict.ok ? "decision not applicable" : verdict.reason;
}

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
            scope: scopeOf(context),
            limits: context.limits,
          }),
          onDone: {
            target: "done" as const,
            actions: {
              type: "recordLane" as const,
              params: ({ event }: { event: { output: LaneResult } }) => ({ result: event.output }),
            },
          },
          onError: {
            target: "failed" as const,
            actions: {
              type: "recordLaneFailure" as const,
              params: ({ event }: { event: { error: unknown } }) => ({ lane, error: event.error }),
            },
          },
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

/** What each actor takes and gives; createInvestigationActors and createRemediationActors supply them. */
const placeholders = {
  scope: notProvided<Scope, InvestigationContext>("scope"),
  lane: notProvided<LaneResult, LaneActorInput>("lane"),
  synthesize: notProvided<Synthesis, SynthesisActorInput>("synthesize"),
  propose: notProvided<RemediationProposal[], SynthesisActorInput>("propose"),
  // Resolves with a decision (the terminal prompt), or never (decisions arrive as DECIDE events).
  approvalSource: notProvided<Approval | undefined, RemediationActorInput>("approvalSource"),
  execute: notProvided<ExecutionOutcome, ExecuteActorInput>("execute"),
  verify: notProvided<VerificationOutcome, RemediationActorInput>("verify"),
};

/**
 * The investigation, as configuration: received → scoped → investigating (four lanes in parallel)
 * → synthesizing → reported (the report is built here, once) → the approval gate, with refused,
 * failed and timeout paths. Effects are actors supplied with `machine.provide()` by
 * createInvestigationActors(deps) and createRemediationActors(deps).
 */
export const investigationMachine = setup({
  types: {
    context: {} as InvestigationContext,
    input: {} as InvestigationInput,
    events: {} as InvestigationEvent,
  },
  actors: placeholders,
  delays: {
    scopeTimeout: ({ context }) => context.limits.scopeTimeoutMs,
    // The lane stops itself at its deadline and reports what it has; this only catches a lane that hangs.
    laneBackstop: ({ context }) => context.limits.laneDeadlineMs + 5_000,
    synthesisTimeout: ({ context }) => context.limits.synthesisTimeoutMs,
    approvalTtl: ({ context }) => context.remediation?.approvalTtlMs ?? 0,
    executionTimeout: ({ context }) => context.remediation?.executionTimeoutMs ?? 0,
  },
  actions: {
    recordLane: assign(({ context }, params: { result: LaneResult }) => ({
      lanes: { ...context.lanes, [params.result.lane]: params.result },
    })),
    recordLaneFailure: assign(({ context }, params: { lane: LaneName; error: unknown }) => ({
      lanes: {
        ...context.lanes,
        [params.lane]: {
          lane: params.lane,
          status: "failed",
          calls: [],
          toolCalls: 0,
          durationMs: 0,
          notes: [`lane failed: ${errorText(params.error)}`],
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
    recordReport: assign({ report: ({ context }) => buildReport(context) }),
    recordDecision: assign((_, params: { approval: Approval }) => ({ approval: params.approval })),
    recordRefusal: assign(({ context }, params: { reason: string }) => ({
      refusals: [...(context.refusals ?? []), params.reason],
    })),
  },
  guards: {
    remediationEnabled: ({ context }) =>
      context.remediation?.enabled === true && context.synthesis?.verdict === "explained",
    hasExecutableProposal: ({ context }) => activeProposal(context) !== undefined,
    inScope: ({ context }) =>
      context.scope !== undefined && context.scope.refused === undefined && context.scope.nodes.length > 0,
    /** The decision is this plan's (same proposal and hash, in time, not replayed) and says `decision`. */
    decides: ({ context }, params: { decision: Approval["decision"]; event: DecideEvent }) => {
      const proposal = activeProposal(context);
      return (
        proposal !== undefined &&
        params.event.approval.decision === params.decision &&
        checkDecision(proposal, params.event.approval, params.event.at).ok
      );
    },
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
      entry: "recordReport",
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
        input: ({ context }) => ({ context, proposal: gateProposal(context) }),
        onDone: {
          actions: raise(({ event }): InvestigationEvent =>
            event.output
              ? { type: "DECIDE", approval: event.output, at: event.output.decidedAt }
              : { type: "NO_DECISION" },
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
            guard: { type: "decides", params: ({ event }) => ({ decision: "approved", event }) },
            target: "executing",
            actions: { type: "recordDecision", params: ({ event }) => ({ approval: event.approval }) },
          },
          {
            guard: { type: "decides", params: ({ event }) => ({ decision: "rejected", event }) },
            target: "rejected",
            actions: { type: "recordDecision", params: ({ event }) => ({ approval: event.approval }) },
          },
          {
            actions: { type: "recordRefusal", params: ({ context, event }) => ({ reason: refusalOf(context, event) }) },
          },
        ],
      },
      after: { approvalTtl: { target: "expired" } },
    },
    executing: {
      invoke: {
        id: "execute",
        src: "execute",
        input: ({ context }) => ({ context, proposal: gateProposal(context), approval: approvalOf(context) }),
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
        input: ({ context }) => ({ context, proposal: gateProposal(context) }),
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

/** The actors a caller supplies for the approval gate (propose, approve, execute, verify). */
export type RemediationActors = Pick<MachineActors, "propose" | "approvalSource" | "execute" | "verify">;
/** The actors createInvestigationActors supplies (scope, lanes, synthesis). */
export type InvestigationActors = Pick<MachineActors, "scope" | "lane" | "synthesize">;
type MachineActors = typeof placeholders;
