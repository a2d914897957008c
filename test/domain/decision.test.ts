import { describe, expect, it } from "vitest";
import type { Approval, RemediationProposal } from "../../src/domain/remediation.ts";
import { checkDecision } from "../../src/domain/decision.ts";

const proposal = { id: "p-1", planHash: "sha256:plan" } as RemediationProposal;
const approval = (overrides: Partial<Approval> = {}): Approval => ({
  id: "a-1",
  proposalId: "p-1",
  planHash: "sha256:plan",
  decision: "approved",
  approver: { user: "oncall" },
  decidedAt: "2026-11-24T10:32:00.000Z",
  expiresAt: "2026-11-24T11:32:00.000Z",
  ...overrides,
});

describe("checkDecision", () => {
  it("accepts a decision for this proposal and plan before it expires", () => {
    expect(checkDecision(proposal, approval(), "2026-11-24T10:40:00.000Z")).toEqual({ ok: true });
  });

  it.each([
    ["a changed plan", approval({ planHash: "sha256:other" }), "2026-11-24T10:40:00.000Z", /plan changed/],
    ["another proposal", approval({ proposalId: "p-2" }), "2026-11-24T10:40:00.000Z", /for proposal p-2/],
    ["an expired approval", approval(), "2026-11-24T11:32:00.001Z", /expired/],
    [
      "a decision dated in the future",
      approval({ decidedAt: "2026-11-24T12:00:00.000Z", expiresAt: "2026-11-24T13:00:00.000Z" }),
      "2026-11-24T10:40:00.000Z",
      /future/,
    ],
  ])("refuses %s", (_what, decision, at, reason) => {
    const verdict = checkDecision(proposal, decision, at);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? "" : verdict.reason).toMatch(reason);
  });
});
