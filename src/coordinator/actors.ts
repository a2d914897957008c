import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { fromPromise } from "xstate";
import type { LaneName } from "../domain/lane.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import type { InvestigationContext, NodeInfo, Scope, Synthesis } from "../domain/investigation.ts";
import type { LaneActorInput, SynthesisActorInput } from "../domain/investigation-events.ts";
import type { LaneResult } from "../domain/tool-call.ts";
import type { InvestigationActors } from "../../workflows/investigation.machine.ts";
import { runLane } from "./lane-runner.ts";
import { resolveScope } from "./scope.ts";
import { synthesize } from "./synthesize.ts";
import type { ToolCaller, ToolInfo } from "./tool-calls.ts";

export interface InvestigationActorDeps {
  client: Client;
  caller: ToolCaller;
  tools: ReadonlyMap<string, ToolInfo>;
  toolOrder: readonly string[];
  nodes: readonly NodeInfo[];
  reasoner: Reasoner;
  signal: AbortSignal;
  now: () => number;
  onLaneDone?: (lane: LaneName, result: LaneResult) => void;
}

/** The machine's effects, bound to their dependencies. Safe to repeat: every call is read-only. */
export function createInvestigationActors(deps: InvestigationActorDeps): InvestigationActors {
  return {
    scope: fromPromise<Scope, InvestigationContext>(async ({ input }) => resolveScope(input, deps.nodes)),
    lane: fromPromise<LaneResult, LaneActorInput>(async ({ input, signal }) => {
      const combined = AbortSignal.any([signal, deps.signal]);
      const result = await runLane(
        { lane: input.lane, nodes: input.scope.nodes.map((n) => n.node), window: input.scope.window },
        {
          caller: deps.caller,
          tools: deps.tools,
          limits: {
            concurrency: input.limits.laneConcurrency,
            budget: input.limits.laneBudget,
            deadlineMs: input.limits.laneDeadlineMs,
          },
          signal: combined,
          now: deps.now,
        },
      );
      deps.onLaneDone?.(input.lane, result);
      return result;
    }),
    synthesize: fromPromise<Synthesis, SynthesisActorInput>(async ({ input, signal }) =>
      synthesize(input.context, {
        reasoner: deps.reasoner,
        toolOrder: deps.toolOrder,
        now: deps.now,
        signal: AbortSignal.any([signal, deps.signal]),
      }),
    ),
  };
}
