import { describe, expect, it } from "vitest";
import { RemediationProposalSchema, planHash, type RemediationProposal } from "../../src/domain/remediation.ts";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { faultById } from "../../src/fixtures/faults/index.ts";
import { checkProposal } from "../../src/policy/policy-checks.ts";
import { parsePolicy, type Policy } from "../../src/policy/policy.ts";
import { NO_POLICY_VERSION, proposeRemediations } from "../../src/remediation/propose.ts";
import { investigateSources } from "../helpers/local-investigation.ts";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const ROLE = "arn:aws:iam::111122223333:role/fathom-remediation";
const NODE_A = { node: "ip-10-0-1-10.ec2.internal", instanceId: "i-0123456789abcdef0" };
const NODE_B = { node: "ip-10-0-1-11.ec2.internal", instanceId: "i-0aaaaaaaaaaaaaaa1" };

function policy(
  options: { allow?: string[]; waive?: string[]; maxTargets?: number; clusters?: string[] } = {},
): Policy {
  const allow = options.allow ?? [
    "Fathom-RestartContainerd",
    "Fathom-RestartKubelet",
    "Fathom-RaiseConntrackLimit",
    "Fathom-PruneUnusedImages",
    "Fathom-ResyncClock",
    "Fathom-RepullSandboxImage",
    "AWS-RestartEC2Instance",
  ];
  return parsePolicy(
    [
      "apiVersion: fathom/v1",
      "scope:",
      '  accounts: ["111122223333"]',
      "  regions: [us-east-1]",
      `  clusters: [${(options.clusters ?? ["prod-east"]).join(", ")}]`,
      "execution:",
      `  assumeRole: ${ROLE}`,
      `  maxTargets: ${options.maxTargets ?? 3}`,
      "documents:",
      `  allow: [${allow.join(", ")}]`,
      `  waiveApproval: [${(options.waive ?? []).join(", ")}]`,
      "approval:",
      "  approvers: [alice]",
      "",
    ].join("\n"),
    "policy.yaml",
  );
}

interface ReportOptions {
  nodes?: Array<{ node: string; instanceId?: string }>;
  causeNodes?: string[];
  incidentNodes?: Array<{ name?: string; instanceId?: string }>;
  verdict?: Report["verdict"];
  cluster?: string;
  conntrackMax?: number;
  investigationId?: string;
}

function report(rootCause: string, o: ReportOptions = {}): Report {
  const nodes = o.nodes ?? [NODE_A];
  return ReportSchema.parse({
    schemaVersion: "1.0",
    investigationId: o.investigationId ?? "inv-1",
    incident: {
      id: "inc-1",
      source: "manual",
      cluster: o.cluster ?? "prod-east",
      nodes: o.incidentNodes ?? [],
      title: "t",
      startsAt: "2026-03-01T11:50:00Z",
      fingerprint: "f",
      labels: {},
    },
    window: { start: "2026-03-01T11:00:00Z", end: "2026-03-01T11:50:00Z" },
    nodes: nodes.map((n) => ({ ...n, bundle: "b", collectedFrom: "bundle" })),
    verdict: o.verdict ?? "explained",
    coverage: { toolCalls: 1, ok: 1, noData: 0, errors: 0, failed: 0, ratio: 1 },
    lanes: [],
    findings:
      o.conntrackMax === undefined
        ? []
        : nodes.map((n, i) => ({
            id: `F-00${i + 1}`,
            tool: "read_sysctls",
            node: n.node,
            kind: "sysctl.conntrack-near-max",
            severity: "high",
            summary: "full",
            evidence: [],
            count: 1,
            attributes: { conntrackMax: o.conntrackMax ?? 0, conntrackCount: (o.conntrackMax ?? 0) - 10 },
            correlateWith: [],
          })),
    rootCauses: [
      {
        id: rootCause,
        confidence: 0.9,
        summary: "s",
        nodes: o.causeNodes ?? nodes.map((n) => n.node),
        supporting: [],
        contrary: [],
        ruledOut: [],
      },
    ],
    gaps: [],
    remediations: [],
    timings: { startedAt: "2026-03-01T11:50:00Z", totalMs: 1, lanesMs: 1, synthesisMs: 1 },
  });
}

/** The one proposal for a report; under a default policy unless one (or explicitly none) is given. */
function only(r: Report, ...given: [Policy | undefined] | []): RemediationProposal {
  const proposals = proposeRemediations(r, given.length ? given[0] : policy(), NOW);
  expect(proposals).toHaveLength(1);
  const [first] = proposals;
  expect(RemediationProposalSchema.parse(first)).toEqual(first);
  return first as RemediationProposal;
}

const hashOf = (p: RemediationProposal) =>
  planHash({ document: p.document, parameters: p.parameters, targets: p.targets, policyVersion: p.policyVersion });

describe("proposeRemediations", () => {
  it("proposes nothing unless the report explains the incident", () => {
    expect(proposeRemediations(report("net.conntrack-exhaustion", { verdict: "inconclusive" }), policy(), NOW)).toEqual(
      [],
    );
    expect(proposeRemediations(report("none", { verdict: "nothing-found" }), policy(), NOW)).toEqual([]);
    expect(proposeRemediations(report("none"), policy(), NOW)).toEqual([]);
  });

  it("builds the exact conntrack plan, bound to the policy's version, waiting for a person", () => {
    const p = policy();
    const proposal = only(report("net.conntrack-exhaustion", { conntrackMax: 262144 }), p);
    expect(proposal).toMatchObject({
      investigationId: "inv-1",
      rootCause: "net.conntrack-exhaustion",
      node: NODE_A.node,
      executable: true,
      document: "Fathom-RaiseConntrackLimit",
      parameters: { InstanceIds: [NODE_A.instanceId], AutomationAssumeRole: ROLE, ConntrackMax: "524288" },
      targets: [NODE_A.instanceId],
      risk: "low",
      requiresApproval: true,
      status: "pending",
      policyVersion: p.version,
      verification: { tool: "inspect_conntrack", clears: ["conntrack.table-near-full"] },
      createdAt: NOW.toISOString(),
    });
    expect(proposal.planHash).toBe(hashOf(proposal));
    expect(proposal.summary).toMatch(/from 262144/);
    expect(proposal.manualSteps[0]).toMatch(/kube-proxy.*conntrack\.min/);
    expect(proposal.expectedEffect).toMatch(/only lasts if kube-proxy's conntrack settings are raised too/);
  });

  it("passes the policy checks it was made for, as made", () => {
    const p = policy();
    const proposal = only(report("net.conntrack-exhaustion", { conntrackMax: 131072 }), p);
    const context = {
      stage: "approve" as const,
      now: NOW,
      target: { account: "111122223333", region: "us-east-1", cluster: "prod-east" },
      investigatedInstances: [NODE_A.instanceId],
      approver: "alice",
    };
    expect(checkProposal(p, proposal, context)).toEqual({ ok: true });
  });

  it("gives deterministic ids from the investigation, the document and the plan", () => {
    const a = only(report("net.conntrack-exhaustion", { conntrackMax: 262144 }));
    const b = only(report("net.conntrack-exhaustion", { conntrackMax: 262144 }));
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^rem-[0-9a-f]{16}$/);
    expect(only(report("net.conntrack-exhaustion", { conntrackMax: 262144, investigationId: "inv-2" })).id).not.toBe(
      a.id,
    );
    expect(only(report("net.conntrack-exhaustion", { conntrackMax: 600000 })).id).not.toBe(a.id);
    expect(
      only(report("net.conntrack-exhaustion", { conntrackMax: 262144 }), policy({ maxTargets: 2 })).planHash,
    ).not.toBe(a.planHash);
  });

  it("targets every affected node, sorted, and lists their names", () => {
    const proposal = only(report("runtime.containerd-unhealthy", { nodes: [NODE_B, NODE_A] }));
    expect(proposal.targets).toEqual([NODE_A.instanceId, NODE_B.instanceId]);
    expect(proposal.parameters.InstanceIds).toEqual(proposal.targets);
    expect(proposal.node).toBe(`${NODE_B.node},${NODE_A.node}`);
    expect(proposal.risk).toBe("medium");
    expect(proposal.manualSteps.join("\n")).toContain(`kubectl cordon) so that no new pod`);
    expect(proposal.manualSteps[0]).toContain(`Cordon ${NODE_B.node}, ${NODE_A.node}`);
    expect(proposal.manualSteps.join("\n")).toMatch(/kubectl drain/);
  });

  it("finds an instance id in the incident when the bundle did not name one", () => {
    const proposal = only(
      report("node.clock-skew", {
        nodes: [{ node: NODE_A.node }],
        incidentNodes: [{ name: NODE_A.node, instanceId: NODE_A.instanceId }],
      }),
    );
    expect(proposal.executable).toBe(true);
    expect(proposal.targets).toEqual([NODE_A.instanceId]);
  });

  it("makes the plan advice, saying why, when a node's instance id is unknown", () => {
    const proposal = only(
      report("runtime.containerd-unhealthy", { nodes: [NODE_A, { node: "ip-10-0-1-12.ec2.internal" }] }),
    );
    expect(proposal).toMatchObject({
      executable: false,
      status: "advice",
      requiresApproval: false,
      document: "Fathom-RestartContainerd",
    });
    expect(proposal.manualSteps[0]).toBe(
      "Not executable: no EC2 instance id is known for ip-10-0-1-12.ec2.internal: fathom cannot target it.",
    );
    expect(proposal.summary).toMatch(/^Advice only — no EC2 instance id is known/);
  });

  it("never takes a malformed instance id from a report as a target", () => {
    const proposal = only(
      report("node.clock-skew", { nodes: [{ node: NODE_A.node, instanceId: "i-0123456789abcdef0; reboot" }] }),
    );
    expect(proposal.executable).toBe(false);
    expect(proposal.targets).toEqual([]);
  });

  it("writes only well-formed node names into the steps a person reads", () => {
    const proposal = only(
      report("runtime.containerd-unhealthy", {
        nodes: [{ node: "evil\u001b[2J; rm -rf /", instanceId: NODE_A.instanceId }],
      }),
    );
    expect(proposal.manualSteps.join("\n")).not.toContain("rm -rf");
    expect(proposal.manualSteps[0]).toContain("Cordon a node with an unreadable name");
  });

  it("without a policy file shows the plan it would make, as advice: nothing executes", () => {
    const proposal = only(report("node.disk-pressure"), undefined);
    expect(proposal).toMatchObject({
      executable: false,
      status: "advice",
      document: "Fathom-PruneUnusedImages",
      targets: [NODE_A.instanceId],
      policyVersion: NO_POLICY_VERSION,
    });
    expect(proposal.parameters).not.toHaveProperty("AutomationAssumeRole");
    expect(proposal.manualSteps[0]).toMatch(/no policy file: fathom investigates and executes nothing/);
  });

  it.each([
    [
      "a document the policy does not allow",
      policy({ allow: ["Fathom-ResyncClock"] }),
      {},
      /the policy does not allow Fathom-PruneUnusedImages/,
    ],
    [
      "a cluster outside the policy's scope",
      policy(),
      { cluster: "prod-west" },
      /cluster prod-west is outside the policy's scope/,
    ],
    [
      "more nodes than the policy's maxTargets",
      policy({ maxTargets: 1 }),
      { nodes: [NODE_A, NODE_B] },
      /would touch 2 instances; the policy allows at most 1/,
    ],
  ])("makes the plan advice when it meets %s", (_name, p, options, reason) => {
    const proposal = only(report("node.disk-pressure", options), p);
    expect(proposal.status).toBe("advice");
    expect(proposal.manualSteps[0]).toMatch(reason);
  });

  it("makes the conntrack plan advice when the limit is already as high as fathom goes", () => {
    const proposal = only(report("net.conntrack-exhaustion", { conntrackMax: 1048576 }));
    expect(proposal.status).toBe("advice");
    expect(proposal.manualSteps[0]).toMatch(/already 1048576.*find what fills the table/);
  });

  it("asks a person for every mutating document unless the policy waives it", () => {
    expect(only(report("node.clock-skew")).requiresApproval).toBe(true);
    expect(only(report("node.clock-skew"), policy({ waive: ["Fathom-ResyncClock"] })).requiresApproval).toBe(false);
    const hang = only(report("kernel.hang"));
    expect(hang).toMatchObject({
      document: "AWS-RestartEC2Instance",
      risk: "high",
      requiresApproval: true,
      parameters: { InstanceId: [NODE_A.instanceId], AutomationAssumeRole: ROLE },
    });
  });

  it("gives advice, never a fake action, for a cause no node action fixes", () => {
    for (const cause of [
      "cni.subnet-exhausted",
      "node.registration-unauthorized",
      "dns.clusterdns-mismatch",
      "kubelet.config-invalid",
    ]) {
      const proposal = only(report(cause));
      expect(proposal).toMatchObject({
        executable: false,
        status: "advice",
        document: "",
        parameters: {},
        targets: [],
        requiresApproval: false,
      });
      expect(proposal.manualSteps.length).toBeGreaterThan(0);
      expect(proposal.planHash).toBe(hashOf(proposal));
    }
  });
});

describe("proposeRemediations after a real investigation", () => {
  it("turns a full conntrack table on a replayed node into the conntrack plan for that node's instance", async () => {
    const fault = faultById("conntrack-table-full");
    if (!fault) throw new Error("fault conntrack-table-full is missing");
    const { report: real } = await investigateSources([createMemorySource(withFaults({ seed: 7 }, fault), "node-a")]);
    if (!real) throw new Error("the investigation did not report");
    expect(real.rootCauses[0]?.id).toBe("net.conntrack-exhaustion");
    const instance = real.nodes[0]?.instanceId;
    expect(instance).toMatch(/^i-[0-9a-f]{17}$/);
    const proposal = only({ ...real, incident: { ...real.incident, cluster: "prod-east" } });
    expect(proposal).toMatchObject({
      executable: true,
      status: "pending",
      document: "Fathom-RaiseConntrackLimit",
      targets: [instance],
      parameters: { ConntrackMax: "262144" },
    });
  });
});
