import { createActor, toPromise } from "xstate";
import type { DecideEvent } from "../domain/investigation-events.ts";
import type { InvestigationContext } from "../domain/investigation.ts";
import { investigationMachine, type RemediationActors } from "../../workflows/investigation.machine.ts";

export interface ResumeOutcome {
  final: string;
  context: InvestigationContext;
}

/**
 * Continues a stored investigation that waits for a decision: restores its persisted snapshot,
 * delivers the DECIDE event, and runs the gate to its end (executing, verifying) while persisting
 * every transition. Lanes are not re-run: the report is already in the snapshot.
 */
export async function resumeWithDecision(
  snapshot: unknown,
  decide: DecideEvent,
  deps: { actors: RemediationActors; persist: (snapshot: unknown, value: string) => void; signal?: AbortSignal },
): Promise<ResumeOutcome> {
  const machine = investigationMachine.provide({ actors: deps.actors });
  const actor = createActor(machine, { snapshot: snapshot as never, input: undefined as never });
  actor.subscribe((s) =>
    deps.persist(actor.getPersistedSnapshot(), typeof s.value === "string" ? s.value : JSON.stringify(s.value)),
  );
  const stop = () => actor.stop();
  deps.signal?.addEventListener("abort", stop, { once: true });
  actor.start();
  if (actor.getSnapshot().value !== "awaitingApproval") {
    actor.stop();
    throw new Error(`the investigation is ${JSON.stringify(actor.getSnapshot().value)}, not waiting for a decision`);
  }
  actor.send(decide);
  const waitingStill = actor.getSnapshot().value === "awaitingApproval";
  if (!waitingStill) {
    try {
      await toPromise(actor);
    } catch {
      // stopped (cancelled): the snapshot says where it got to
    }
  }
  deps.signal?.removeEventListener("abort", stop);
  const final = actor.getSnapshot();
  if (waitingStill) actor.stop();
  return { final: typeof final.value === "string" ? final.value : JSON.stringify(final.value), context: final.context };
}
