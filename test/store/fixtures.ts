import { planHash, type Approval, type RemediationProposal } from "../../src/domain/remediation.ts";
import { REPORT_SCHEMA_VERSION, type Report } from "../../src/domain/report.ts";
import type { Clock } from "../../src/store/index.ts";

// Plain data builders, importable outside vitest (the concurrent-writer child process uses them).

export const T0 = Date.parse("2026-11-24T10:30:00.000Z");

/** A clock that only moves when told to. */
export function manualClock(start = T0): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

export function makeReport(investigationId: string, overrides: Partial<Report> = {}): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    investigationId,
    incident: {
      id: "alarm-1",
      source: "alertmanager",
      cluster: "prod",
      nodes: [{ name: "ip-10-0-12-34.ec2.internal" }],
      title: "KubeNodeNotReady",
      startsAt: "2026-11-24T10:30:00.000Z",
      fingerprint: "fp-1",
      labels: { alertname: "KubeNodeNotReady" },
    },
    window: { start: "2026-11-24T09:30:00.000Z", end: "2026-11-24T10:30:00.000Z" },
    nodes: [
      {
        node: "ip-10-0-12-34.ec2.internal",
        instanceId: "i-0abc123def4567890",
        bundle: "bundle.tar.gz",
        collectedFrom: "archive-name",
      },
    ],
    verdict: "explained",
    coverage: { toolCalls: 10, ok: 9, noData: 1, errors: 0, failed: 0, ratio: 0.9 },
    lanes: [],
    findings: [
      {
        id: "F-001",
        tool: "inspect_conntrack",
        node: "ip-10-0-12-34.ec2.internal",
        kind: "conntrack.table-full",
        severity: "critical",
        summary: "nf_conntrack: table full, dropping packet (1,204 times)",
        evidence: [
          {
            source: "kernel/dmesg.current",
            line: 812,
            excerpt: "nf_conntrack: nf_conntrack: table full, dropping packet",
          },
        ],
        count: 1204,
        attributes: {},
        correlateWith: [],
      },
    ],
    rootCauses: [
      {
        id: "net.conntrack-exhaustion",
        confidence: 0.92,
        summary: "The conntrack table is full",
        nodes: ["ip-10-0-12-34.ec2.internal"],
        supporting: ["F-001"],
        contrary: [],
        ruledOut: [],
      },
    ],
    gaps: [],
    remediations: [],
    timings: { startedAt: "2026-11-24T10:31:00.000Z", totalMs: 1200, lanesMs: 900, synthesisMs: 30 },
    ...overrides,
  };
}

export function makeProposal(
  investigationId: string,
  overrides: Partial<RemediationProposal> = {},
): RemediationProposal {
  const plan = {
    document: "Fathom-RaiseConntrackLimit",
    parameters: { ConntrackMax: 524288 },
    targets: ["i-0abc123def4567890"],
    policyVersion: "policy-v1",
  };
  return {
    id: `prop-${investigationId}`,
    investigationId,
    rootCause: "net.conntrack-exhaustion",
    node: "ip-10-0-12-34.ec2.internal",
    summary: "Raise nf_conntrack_max where kube-proxy keeps it",
    executable: true,
    ...plan,
    risk: "low",
    expectedEffect: "conntrack drops stop",
    rollback: "restore the previous limit",
    manualSteps: [],
    verification: { tool: "inspect_conntrack", clears: ["conntrack.table-full"] },
    requiresApproval: true,
    planHash: planHash(plan),
    status: "pending",
    createdAt: "2026-11-24T10:32:00.000Z",
    ...overrides,
  };
}

export function makeApproval(proposal: RemediationProposal, overrides: Partial<Approval> = {}): Approval {
  return {
    id: `appr-${proposal.id}`,
    proposalId: proposal.id,
    planHash: proposal.planHash,
    decision: "approved",
    approver: { user: "alice", displayName: "Alice Example" },
    reason: "drops confirmed on the node",
    decidedAt: "2026-11-24T10:33:00.000Z",
    expiresAt: "2026-11-24T11:33:00.000Z",
    ...overrides,
  };
}

export const CLIENT_TOKEN = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890";
