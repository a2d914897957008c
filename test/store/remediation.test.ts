import { describe, expect, it } from "vitest";
import { planHash } from "../../src/domain/remediation.ts";
import { StoreError, type Store } from "../../src/store/index.ts";
import { CLIENT_TOKEN, makeApproval, makeProposal, manualClock, useTempStores } from "./helpers.ts";

const temp = useTempStores();

function approvedProposal(store: Store) {
  const proposal = store.saveProposal(makeProposal("inv-1")).proposal;
  const result = store.recordDecision(makeApproval(proposal));
  if (!result.ok) throw new Error(result.message);
  return { proposal, approval: result.approval };
}

function refusedWith(fn: () => unknown, code: StoreError["code"]): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    return (error as StoreError).message;
  }
  throw new Error("expected the store to refuse");
}

describe("proposals", () => {
  it("are created once: saving the same plan again returns the stored proposal", () => {
    const path = temp.path();
    const first = temp.open(path).saveProposal(makeProposal("inv-1"));
    // A restored investigation proposes again, with a fresh id: nothing new is created.
    const again = temp
      .open(path)
      .saveProposal(makeProposal("inv-1", { id: "prop-other-id", createdAt: "2026-11-24T11:00:00.000Z" }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ proposal: first.proposal, created: false });
    const store = temp.open(path);
    expect(store.listProposals({ investigationId: "inv-1" })).toHaveLength(1);
    expect(store.listAudit({ type: "proposal" })).toHaveLength(1);
  });

  it("are new when the plan changes (another plan hash)", () => {
    const store = temp.open(temp.path());
    store.saveProposal(makeProposal("inv-1"));
    const plan = {
      document: "Fathom-RaiseConntrackLimit",
      parameters: { ConntrackMax: 1048576 },
      targets: ["i-0abc123def4567890"],
      policyVersion: "policy-v1",
    };
    const changed = store.saveProposal(
      makeProposal("inv-1", { id: "prop-2", parameters: plan.parameters, planHash: planHash(plan) }),
    );
    expect(changed.created).toBe(true);
    expect(store.listProposals()).toHaveLength(2);
  });

  it("are created pending or as advice, never already approved", () => {
    const store = temp.open(temp.path());
    expect(refusedWith(() => store.saveProposal(makeProposal("inv-1", { status: "approved" })), "invalid")).toMatch(
      /created pending/,
    );
    expect(store.saveProposal(makeProposal("inv-2", { status: "advice", executable: false })).created).toBe(true);
  });

  it("move only along the allowed statuses, each move audited", () => {
    const store = temp.open(temp.path());
    const { proposal } = store.saveProposal(makeProposal("inv-1"));
    expect(refusedWith(() => store.setProposalStatus(proposal.id, "executing"), "invalid")).toMatch(
      /cannot go from pending to executing/,
    );
    expect(store.setProposalStatus(proposal.id, "expired", "nobody answered within the TTL").status).toBe("expired");
    expect(store.listAudit({ subject: proposal.id }).at(-1)?.data).toMatchObject({
      event: "status",
      from: "pending",
      to: "expired",
      reason: "nobody answered within the TTL",
    });
  });
});

describe("decisions", () => {
  it("record who decided, when, on which plan hash and why, in the audit trail", () => {
    const store = temp.open(temp.path());
    const { proposal, approval } = approvedProposal(store);
    expect(store.getProposal(proposal.id)?.status).toBe("approved");
    expect(store.getApproval(approval.id)).toEqual(approval);
    const [decision] = store.listAudit({ type: "decision" });
    expect(decision).toMatchObject({
      subject: proposal.id,
      actor: { user: "alice", displayName: "Alice Example" },
      data: {
        approvalId: approval.id,
        decision: "approved",
        planHash: proposal.planHash,
        reason: "drops confirmed on the node",
        decidedAt: "2026-11-24T10:33:00.000Z",
        approver: { user: "alice", displayName: "Alice Example" },
      },
    });
  });

  it("refuse a replayed approval, even from another store instance", () => {
    const path = temp.path();
    const store = temp.open(path);
    const { approval } = approvedProposal(store);
    const replay = temp.open(path).recordDecision(approval);
    expect(replay).toMatchObject({ ok: false, reason: "replayed" });
    expect(!replay.ok && replay.message).toMatch(/already recorded \(approved by alice/);
    expect(store.listAudit({ type: "decision" })).toHaveLength(1);
  });

  it("allow one decision per proposal and plan hash", () => {
    const store = temp.open(temp.path());
    const { proposal } = approvedProposal(store);
    const second = store.recordDecision(
      makeApproval(proposal, { id: "appr-2", decision: "rejected", approver: { user: "mallory" } }),
    );
    expect(second).toMatchObject({ ok: false, reason: "already-decided" });
    expect(store.getProposal(proposal.id)?.status).toBe("approved");
  });

  it("refuse a decision on another plan than the stored one", () => {
    const store = temp.open(temp.path());
    const { proposal } = store.saveProposal(makeProposal("inv-1"));
    const result = store.recordDecision(makeApproval(proposal, { planHash: "sha256:0000" }));
    expect(result).toMatchObject({ ok: false, reason: "plan-changed" });
    expect(store.getProposal(proposal.id)?.status).toBe("pending");
  });

  it("refuse decisions on unknown or no longer pending proposals", () => {
    const store = temp.open(temp.path());
    const { proposal } = store.saveProposal(makeProposal("inv-1"));
    expect(store.recordDecision(makeApproval(proposal, { proposalId: "prop-nope" }))).toMatchObject({
      ok: false,
      reason: "unknown-proposal",
    });
    store.setProposalStatus(proposal.id, "expired");
    expect(store.recordDecision(makeApproval(proposal))).toMatchObject({ ok: false, reason: "not-pending" });
  });

  it("record a rejection, after which nothing can execute", () => {
    const store = temp.open(temp.path());
    const { proposal } = store.saveProposal(makeProposal("inv-1"));
    const rejection = makeApproval(proposal, { decision: "rejected", reason: "not during the sale" });
    expect(store.recordDecision(rejection).ok).toBe(true);
    expect(store.getProposal(proposal.id)?.status).toBe("rejected");
    expect(
      refusedWith(
        () => store.beginExecution({ proposalId: proposal.id, approvalId: rejection.id, clientToken: CLIENT_TOKEN }),
        "not-approved",
      ),
    ).toMatch(/rejected by alice/);
  });
});

describe("executions", () => {
  it("are created once per client token: a retry or a restored run gets the same row", () => {
    const path = temp.path();
    const store = temp.open(path);
    const { proposal, approval } = approvedProposal(store);
    const first = store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: CLIENT_TOKEN });
    const restored = temp
      .open(path)
      .beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: CLIENT_TOKEN });
    expect(first.created).toBe(true);
    expect(restored).toEqual({ execution: first.execution, created: false });
    expect(store.getProposal(proposal.id)?.status).toBe("executing");
    expect(store.listAudit({ type: "execution" })).toHaveLength(1);
  });

  it("refuse to start without an approval of this plan, or a second run of one approval", () => {
    const store = temp.open(temp.path());
    const pending = store.saveProposal(makeProposal("inv-2")).proposal;
    expect(
      refusedWith(
        () => store.beginExecution({ proposalId: pending.id, approvalId: "appr-none", clientToken: CLIENT_TOKEN }),
        "not-approved",
      ),
    ).toMatch(/nothing runs without one/);
    const { proposal, approval } = approvedProposal(store);
    store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: CLIENT_TOKEN });
    const other = "0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e";
    expect(() =>
      store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: other }),
    ).toThrow(StoreError);
    expect(store.getExecution(other)).toBeUndefined();
  });

  it("refuse to start on an expired approval", () => {
    const clock = manualClock(Date.parse("2026-11-24T12:00:00.000Z"));
    const store = temp.open(temp.path(), clock);
    const { proposal, approval } = approvedProposal(store);
    expect(
      refusedWith(
        () => store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: CLIENT_TOKEN }),
        "not-approved",
      ),
    ).toMatch(/expired at 2026-11-24T11:33/);
  });

  it("refuse a client token that is not a UUID", () => {
    const store = temp.open(temp.path());
    const { proposal, approval } = approvedProposal(store);
    expect(
      refusedWith(
        () => store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: "retry-1" }),
        "invalid",
      ),
    ).toMatch(/not a UUID/);
  });

  it("record SSM's status; a terminal status settles the proposal, then verification", () => {
    const store = temp.open(temp.path());
    const { proposal, approval } = approvedProposal(store);
    store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: CLIENT_TOKEN });
    store.updateExecution(CLIENT_TOKEN, { executionId: "exec-123", status: "InProgress" });
    store.updateExecution(CLIENT_TOKEN, { status: "InProgress" });
    const done = store.updateExecution(CLIENT_TOKEN, { status: "Success" });
    expect(done).toMatchObject({ executionId: "exec-123", status: "Success", finishedAt: "2026-11-24T10:30:00.000Z" });
    expect(store.getProposal(proposal.id)?.status).toBe("succeeded");
    const verified = store.recordVerification({
      proposalId: proposal.id,
      cleared: true,
      remaining: [],
      tool: "inspect_conntrack",
      source: "after-bundle",
    });
    expect(verified.status).toBe("verified");
    expect(
      store.listAudit({ subject: proposal.id }).map((r) => `${r.type}:${String(r.data.event ?? r.data.cleared)}`),
    ).toEqual([
      "proposal:proposed",
      "decision:undefined",
      "execution:started",
      "execution:status",
      "execution:status",
      "verification:true",
    ]);
    expect(store.verifyAudit().ok).toBe(true);
  });

  it("mark the proposal failed when SSM says the execution failed", () => {
    const store = temp.open(temp.path());
    const { proposal, approval } = approvedProposal(store);
    store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken: CLIENT_TOKEN });
    store.updateExecution(CLIENT_TOKEN, {
      executionId: "exec-9",
      status: "Failed",
      error: "Step restart failed: exit 1",
    });
    expect(store.getProposal(proposal.id)?.status).toBe("failed");
    expect(store.getExecution(CLIENT_TOKEN)?.error).toBe("Step restart failed: exit 1");
    expect(() =>
      store.recordVerification({ proposalId: proposal.id, cleared: true, remaining: [], tool: "t", source: "s" }),
    ).toThrow(/only a succeeded execution is verified/);
  });
});
