import { createActor, setup } from "xstate";
import { describe, expect, it } from "vitest";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { investigateSources } from "../helpers/local-investigation.ts";
import { makeProposal, makeReport, manualClock, useTempStores } from "./helpers.ts";

const temp = useTempStores();

/** A small investigation-shaped machine: parallel lanes, then synthesis, then a final state. */
const machine = setup({
  types: {
    context: {} as { incident: { title: string }; notes: string[] },
    events: {} as { type: "SCOPED" | "NETWORK_DONE" | "HOST_DONE" | "SYNTHESIZED"; note?: string },
  },
}).createMachine({
  id: "investigation",
  context: { incident: { title: "KubeNodeNotReady" }, notes: [] },
  initial: "received",
  states: {
    received: { on: { SCOPED: "investigating" } },
    investigating: {
      type: "parallel",
      states: {
        network: { initial: "running", states: { running: { on: { NETWORK_DONE: "done" } }, done: { type: "final" } } },
        host: { initial: "running", states: { running: { on: { HOST_DONE: "done" } }, done: { type: "final" } } },
      },
      onDone: "synthesizing",
    },
    synthesizing: {
      on: {
        SYNTHESIZED: { target: "reported", actions: ({ context, event }) => void context.notes.push(event.note ?? "") },
      },
    },
    reported: { type: "final" },
  },
});

function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

describe("investigations", () => {
  it("save the persisted snapshot on every transition, and resume from it in a new process's store", () => {
    const path = temp.path();
    const clock = manualClock();
    const store = temp.open(path, clock);
    const actor = createActor(machine);
    const saved: unknown[] = [];
    actor.subscribe((snapshot) => {
      clock.advance(10);
      const persisted = actor.getPersistedSnapshot();
      store.saveSnapshot("inv-1", persisted, valueText(snapshot.value), {
        incidentKey: "prod|KubeNodeNotReady|i-0abc123def4567890",
      });
      // What is on disk after each transition is that transition's snapshot.
      expect(store.getInvestigation("inv-1")?.snapshot).toEqual(JSON.parse(JSON.stringify(persisted)));
      saved.push(persisted);
    });
    actor.start();
    actor.send({ type: "SCOPED" });
    actor.send({ type: "NETWORK_DONE" });
    expect(saved).toHaveLength(3);
    expect(store.getInvestigation("inv-1")).toMatchObject({
      state: "investigating",
      status: "active",
      incidentKey: "prod|KubeNodeNotReady|i-0abc123def4567890",
    });
    actor.stop();
    store.close();

    // "Restart": another store instance on the same file finds the unfinished investigation.
    const reopened = temp.open(path, clock);
    const [resumable] = reopened.resumableInvestigations();
    expect(resumable?.id).toBe("inv-1");
    const resumed = createActor(machine, { snapshot: resumable?.snapshot as never });
    resumed.subscribe((snapshot) =>
      reopened.saveSnapshot("inv-1", resumed.getPersistedSnapshot(), valueText(snapshot.value)),
    );
    resumed.start();
    expect(resumed.getSnapshot().value).toEqual({ investigating: { network: "done", host: "running" } });
    resumed.send({ type: "HOST_DONE" });
    resumed.send({ type: "SYNTHESIZED", note: "conntrack" });
    expect(reopened.getInvestigation("inv-1")).toMatchObject({ state: "reported", status: "done" });
    expect(reopened.resumableInvestigations()).toEqual([]);
    expect(reopened.listAudit({ subject: "inv-1" }).map((r) => r.data.event)).toEqual(["started", "finished"]);
  });

  it("save the real coordinator's snapshot on each of its transitions", async () => {
    const store = temp.open(temp.path());
    const states: string[] = [];
    const { report } = await investigateSources([createMemorySource(healthyBaseline(), "healthy")], {
      deps: {
        persist: (snapshot, value) => {
          store.saveSnapshot("inv-test", snapshot, value);
          states.push(store.getInvestigation("inv-test")?.state ?? "");
        },
      },
    });
    expect(report).toBeDefined();
    if (report) store.saveReport("inv-test", report);
    expect(states[0]).toBe("received");
    expect(states).toContain("investigating");
    expect(states).toContain("synthesizing");
    const stored = store.getInvestigation("inv-test");
    expect(stored?.state).toBe(states.at(-1));
    expect(stored?.status).toBe("done");
    expect(stored?.report).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it("store a report once: saving it again after a restart adds nothing", () => {
    const store = temp.open(temp.path());
    store.saveReport("inv-1", makeReport("inv-1"));
    store.saveReport("inv-1", makeReport("inv-1"));
    expect(store.listAudit({ subject: "inv-1" })).toHaveLength(1);
    expect(store.getInvestigation("inv-1")?.report?.verdict).toBe("explained");
  });

  it("refuse a report that does not match the report schema", () => {
    const store = temp.open(temp.path());
    expect(() => store.saveReport("inv-1", { ...makeReport("inv-1"), rootCauses: [] })).toThrow(/report schema/);
    expect(store.getInvestigation("inv-1")).toBeUndefined();
  });

  it("list newest first, with the root cause, pending proposals and a state filter", () => {
    const clock = manualClock();
    const store = temp.open(temp.path(), clock);
    store.saveReport(
      "inv-old",
      makeReport("inv-old", {
        verdict: "nothing-found",
        rootCauses: [
          { id: "none", confidence: 0.7, summary: "nothing", nodes: [], supporting: [], contrary: [], ruledOut: [] },
        ],
      }),
    );
    clock.advance(60_000);
    store.saveReport("inv-new", makeReport("inv-new"));
    store.saveProposal(makeProposal("inv-new"));
    store.saveProposal(
      makeProposal("inv-new", {
        id: "prop-advice",
        document: "advice:scale-subnet",
        status: "advice",
        executable: false,
      }),
    );
    clock.advance(60_000);
    store.saveSnapshot(
      "inv-running",
      { status: "active", value: { investigating: {} }, context: { incident: { title: "NodeDown" } } },
      JSON.stringify({ investigating: {} }),
    );

    const all = store.listInvestigations();
    expect(all.map((i) => i.id)).toEqual(["inv-running", "inv-new", "inv-old"]);
    expect(all[0]).toMatchObject({ state: "investigating", title: "NodeDown", pendingProposals: 0 });
    expect(all[0]?.rootCause).toBeUndefined();
    expect(all[1]).toMatchObject({
      rootCause: { id: "net.conntrack-exhaustion", confidence: 0.92 },
      verdict: "explained",
      pendingProposals: 1,
    });
    expect(all[2]).toMatchObject({ rootCause: { id: "none" }, verdict: "nothing-found" });
    expect(store.listInvestigations({ states: ["investigating"] }).map((i) => i.id)).toEqual(["inv-running"]);
    expect(store.listInvestigations({ limit: 1 })).toHaveLength(1);
  });

  it("refuse an id that redaction would change", () => {
    const store = temp.open(temp.path());
    expect(() => store.saveSnapshot("AKIAQWERTYUIOPASDFGH", {}, "received")).toThrow(/looks like a secret/);
  });
});
