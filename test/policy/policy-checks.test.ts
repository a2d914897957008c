import { describe, expect, it } from "vitest";
import { planHash, type RemediationProposal } from "../../src/domain/remediation.ts";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { checkProposal, type ApprovalRecord, type ProposalCheckContext } from "../../src/policy/policy-checks.ts";
import { parsePolicy, type CheckResult, type Policy } from "../../src/policy/policy.ts";
import { proposeRemediations } from "../../src/remediation/propose.ts";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const ID = "i-0123456789abcdef0";
const OTHERS = ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3", "i-0aaaaaaaaaaaaaaa4"];
const ROLE = "arn:aws:iam::111122223333:role/fathom-remediation";

function policyWith(
  documents = "allow: [Fathom-RaiseConntrackLimit, Fathom-RestartContainerd, Fathom-ResyncClock, AWS-RestartEC2Instance]\n  waiveApproval: [Fathom-ResyncClock]",
): Policy {
  return parsePolicy(
    [
      "apiVersion: fathom/v1",
      "scope:",
      '  accounts: ["111122223333"]',
      "  regions: [us-east-1]",
      "  clusters: [prod-east]",
      "execution:",
      `  assumeRole: ${ROLE}`,
      "  maxTargets: 3",
      "documents:",
      `  ${documents}`,
      "approval:",
      "  ttl: 15m",
      "  approvers: [alice, bob]",
      "",
    ].join("\n"),
    "policy.yaml",
  );
}
const POLICY = policyWith();

function report(rootCause: string, instances: string[] = [ID]): Report {
  const nodes = instances.map((instanceId, i) => ({
    node: `ip-10-0-1-${10 + i}.ec2.internal`,
    instanceId,
    bundle: "b",
    collectedFrom: "bundle",
  }));
  return ReportSchema.parse({
    schemaVersion: "1.0",
    investigationId: "inv-1",
    incident: {
      id: "inc-1",
      source: "manual",
      cluster: "prod-east",
      nodes: [],
      title: "t",
      startsAt: "2026-03-01T11:50:00Z",
      fingerprint: "f",
      labels: {},
    },
    window: { start: "2026-03-01T11:00:00Z", end: "2026-03-01T11:50:00Z" },
    nodes,
    verdict: "explained",
    coverage: { toolCalls: 1, ok: 1, noData: 0, errors: 0, failed: 0, ratio: 1 },
    lanes: [],
    findings: nodes.map((n, i) => ({
      id: `F-00${i + 1}`,
      tool: "read_sysctls",
      node: n.node,
      kind: "sysctl.conntrack-near-max",
      severity: "high",
      summary: "full",
      evidence: [],
      count: 1,
      attributes: { conntrackMax: 262144, conntrackCount: 262100 },
      correlateWith: [],
    })),
    rootCauses: [
      {
        id: rootCause,
        confidence: 0.9,
        summary: "s",
        nodes: nodes.map((n) => n.node),
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

function proposal(
  rootCause = "net.conntrack-exhaustion",
  instances: string[] = [ID],
  policy = POLICY,
): RemediationProposal {
  const [p] = proposeRemediations(report(rootCause, instances), policy, NOW);
  if (!p || p.status !== "pending") throw new Error(`no pending proposal for ${rootCause}: ${p?.summary}`);
  return p;
}

/** Changes a plan and recomputes its hash, as someone who can write the store would. */
function resigned(p: RemediationProposal, change: Partial<RemediationProposal>): RemediationProposal {
  const next = { ...p, ...change };
  return {
    ...next,
    planHash: planHash({
      document: next.document,
      parameters: next.parameters,
      targets: next.targets,
      policyVersion: next.policyVersion,
    }),
  };
}

/** Hostile targets go in both places a target lives: the targets and the document's instance-id parameter. */
const withTargets = (p: RemediationProposal, targets: string[]) =>
  resigned(p, { targets, parameters: { ...p.parameters, InstanceIds: targets } });

const approveContext = (over: Partial<ProposalCheckContext> = {}): ProposalCheckContext => ({
  stage: "approve",
  now: NOW,
  target: { account: "111122223333", region: "us-east-1", cluster: "prod-east" },
  investigatedInstances: [ID, ...OTHERS],
  approver: "alice",
  ...over,
});

const approvalOf = (p: RemediationProposal, over: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  proposalId: p.id,
  planHash: p.planHash,
  decision: "approved",
  approver: { user: "bob" },
  decidedAt: "2026-03-01T11:55:00.000Z",
  expiresAt: "2026-03-01T12:10:00.000Z",
  ...over,
});

const executeContext = (p: RemediationProposal, over: Partial<ApprovalRecord> = {}): ProposalCheckContext => ({
  ...approveContext({ stage: "execute", approver: undefined }),
  approval: approvalOf(p, over),
});

function refused(result: CheckResult, pattern: RegExp): void {
  expect(result.ok).toBe(false);
  const reasons = result.ok ? [] : result.reasons;
  expect(
    reasons.some((r) => pattern.test(r)),
    `${JSON.stringify(reasons)} should match ${pattern}`,
  ).toBe(true);
  // Reasons reach a terminal: nothing hostile comes through unescaped.
  for (const reason of reasons) expect(reason).toMatch(/^[\x20-\x7e…–—×]*$/);
}

const SHELL = ["; rm -rf /", "$(id)", "`id`", "| id", "&& id", "\n", "\r\n", "\u0000", "\u001b[2J", "\u202e"];

describe("checkProposal on a proper plan", () => {
  it("lets an allowed approver decide a pending plan in scope", () => {
    expect(checkProposal(POLICY, proposal(), approveContext())).toEqual({ ok: true });
  });

  it("lets an approved plan run within the approval's lifetime", () => {
    const p = { ...proposal(), status: "approved" as const };
    expect(checkProposal(POLICY, p, executeContext(p))).toEqual({ ok: true });
  });

  it("accepts the targets in any order: the plan hash does not depend on it", () => {
    const p = proposal("net.conntrack-exhaustion", [ID, OTHERS[0] as string]);
    // Only `targets` is order-free in planHash; the document parameter keeps the order proposals write (sorted).
    const reordered = { ...p, targets: [...p.targets].reverse() };
    expect(reordered.targets).not.toEqual(p.targets);
    expect(reordered.planHash).toBe(
      planHash({
        document: reordered.document,
        parameters: reordered.parameters,
        targets: reordered.targets,
        policyVersion: reordered.policyVersion,
      }),
    );
    expect(checkProposal(POLICY, reordered, approveContext())).toEqual({ ok: true });
  });

  it("runs a document whose approval the policy waives without an approval, and only that one", () => {
    const clock = proposeRemediations(report("node.clock-skew"), POLICY, NOW)[0] as RemediationProposal;
    expect(clock.requiresApproval).toBe(false);
    expect(checkProposal(POLICY, clock, { ...approveContext({ stage: "execute" }), approval: undefined })).toEqual({
      ok: true,
    });
    const conntrack = proposal();
    refused(
      checkProposal(POLICY, conntrack, { ...approveContext({ stage: "execute" }), approval: undefined }),
      /has no approval/,
    );
  });
});

describe("checkProposal without a policy file", () => {
  it("refuses everything: fathom then investigates and executes nothing", () => {
    refused(checkProposal(undefined, proposal(), approveContext()), /no policy file/);
  });
});

describe("checkProposal refuses hostile targets", () => {
  const cases: Array<[string, string]> = [
    ...SHELL.map((s): [string, string] => [`shell metacharacters ${JSON.stringify(s)}`, `${ID}${s}`]),
    ["a leading space", ` ${ID}`],
    ["a trailing newline only SSM's pattern would catch", `${ID}\n`],
    ["path traversal", "../../etc/passwd"],
    ["an id with a path", `${ID}/../../x`],
    ["a Cyrillic і for the i", "\u0456-0123456789abcdef0"],
    ["a Cyrillic е in the hex digits", "i-0123456789abcd\u0435f0"],
    ["fullwidth digits", "i-\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19abcdef0"],
    ["uppercase hex", "i-0123456789ABCDEF0"],
    ["too short", "i-0123456"],
    ["a length SSM allows but EC2 never issues", "i-0123456789abcd"],
    ["too long", "i-0123456789abcdef01"],
    ["an oversized value", `i-${"a".repeat(5000)}`],
    ["an empty string", ""],
    ["a managed-instance id", "mi-0123456789abcdef0"],
    ["an ARN instead of an id", `arn:aws:ec2:us-east-1:111122223333:instance/${ID}`],
    ["a wildcard", "i-*"],
  ];
  it.each(cases)("refuses a target with %s, even when a tampered report lists it as investigated", (_name, target) => {
    const context = approveContext({ investigatedInstances: [ID, target] });
    refused(
      checkProposal(POLICY, withTargets(proposal(), [target]), context),
      /is not an EC2 instance id \(i- and 8 or 17 lowercase hex digits\)/,
    );
  });

  it("refuses a well-formed target that is not one of the investigated nodes", () => {
    refused(
      checkProposal(POLICY, withTargets(proposal(), ["i-0fffffffffffffff9"]), approveContext()),
      /not one of the investigated nodes/,
    );
  });

  it("refuses more targets than the policy allows", () => {
    refused(
      checkProposal(POLICY, withTargets(proposal(), [ID, ...OTHERS]), approveContext()),
      /targets 5 instances; the policy allows at most 3/,
    );
  });

  it("refuses a target named twice, and a plan with no target", () => {
    refused(checkProposal(POLICY, withTargets(proposal(), [ID, ID]), approveContext()), /names a target twice/);
    refused(checkProposal(POLICY, withTargets(proposal(), []), approveContext()), /no target/);
  });

  it("refuses a document parameter that names other instances than the plan's targets", () => {
    const p = proposal();
    refused(
      checkProposal(
        POLICY,
        resigned(p, { parameters: { ...p.parameters, InstanceIds: [OTHERS[0] as string] } }),
        approveContext(),
      ),
      /InstanceIds must list exactly the proposal's targets/,
    );
  });
});

describe("checkProposal refuses hostile parameters, even when the plan hash was recomputed", () => {
  const conntrack: Array<[string, unknown]> = [
    ...SHELL.map((s): [string, unknown] => [`shell metacharacters ${JSON.stringify(s)}`, `524288${s}`]),
    ["a value outside the allowed set", "999999999"],
    ["a lower value", "65536"],
    ["a number instead of a string", 524288],
    ["fullwidth digits", "\uff15\uff12\uff14\uff12\uff18\uff18"],
    ["a trailing space", "524288 "],
    ["an oversized value", "5".repeat(100_000)],
    ["a list", ["524288"]],
    ["an empty string", ""],
  ];
  it.each(conntrack)("refuses ConntrackMax with %s", (_name, value) => {
    const p = proposal();
    refused(
      checkProposal(
        POLICY,
        resigned(p, { parameters: { ...p.parameters, ConntrackMax: value as string } }),
        approveContext(),
      ),
      /parameter ConntrackMax/,
    );
  });

  it.each([
    ["a role in another account", "arn:aws:iam::999999999999:role/admin"],
    ["another role in the account", "arn:aws:iam::111122223333:role/Administrator"],
    ["the right role with a newline", `${ROLE}\n`],
    ["a user, not a role", "arn:aws:iam::111122223333:user/fathom"],
    ["shell metacharacters", `${ROLE};id`],
  ])("refuses an AutomationAssumeRole that is %s", (_name, role) => {
    const p = proposal();
    refused(
      checkProposal(
        POLICY,
        resigned(p, { parameters: { ...p.parameters, AutomationAssumeRole: role } }),
        approveContext(),
      ),
      /AutomationAssumeRole/,
    );
  });

  it.each([
    ["a free-form command list", { commands: ["rm -rf /"] }],
    ["a working directory", { workingDirectory: "/" }],
    ["a look-alike parameter name", { ConntrackМax: "524288" }],
  ])("refuses an extra parameter: %s", (_name, extra) => {
    const p = proposal();
    refused(
      checkProposal(POLICY, resigned(p, { parameters: { ...p.parameters, ...extra } }), approveContext()),
      /parameter \(all\): Unrecognized key/,
    );
  });

  it("refuses a plan missing a parameter", () => {
    const p = proposal();
    const { ConntrackMax: _dropped, ...rest } = p.parameters;
    refused(checkProposal(POLICY, resigned(p, { parameters: rest }), approveContext()), /parameter ConntrackMax/);
  });
});

describe("checkProposal refuses documents that may not run", () => {
  it.each([
    ["a document the policy does not allow", "Fathom-PruneUnusedImages", /policy does not allow document/],
    ["AWS-RunShellScript, which runs anything", "AWS-RunShellScript", /policy does not allow document/],
    ["a look-alike with a Cyrillic а", "F\u0430thom-RaiseConntrackLimit", /policy does not allow document/],
    ["a path", "../Fathom-RaiseConntrackLimit", /policy does not allow document/],
    ["a NUL byte", "Fathom-RaiseConntrackLimit\u0000", /policy does not allow document/],
    [
      "an ARN of a shared document",
      "arn:aws:ssm:us-east-1:999999999999:document/Fathom-RaiseConntrackLimit",
      /policy does not allow document/,
    ],
    ["another allowed document than the catalog's answer", "Fathom-RestartContainerd", /does not answer root cause/],
  ])("refuses %s", (_name, document, pattern) => {
    refused(checkProposal(POLICY, resigned(proposal(), { document }), approveContext()), pattern);
  });
});

describe("checkProposal refuses a tampered plan", () => {
  it("whose parameters changed after its hash was made", () => {
    const p = proposal();
    refused(
      checkProposal(POLICY, { ...p, parameters: { ...p.parameters, ConntrackMax: "1048576" } }, approveContext()),
      /does not match its hash/,
    );
  });

  it("whose targets changed after its hash was made", () => {
    const p = proposal();
    refused(
      checkProposal(
        POLICY,
        { ...p, targets: [OTHERS[0] as string], parameters: { ...p.parameters, InstanceIds: [OTHERS[0] as string] } },
        approveContext(),
      ),
      /does not match its hash/,
    );
  });

  it("made under another version of the policy", () => {
    refused(
      checkProposal(POLICY, resigned(proposal(), { policyVersion: "sha256:0" }), approveContext()),
      /made under policy/,
    );
    const changed = policyWith("allow: [Fathom-RaiseConntrackLimit]");
    refused(checkProposal(changed, proposal(), approveContext()), /propose it again/);
  });

  it("whose risk was lowered, or whose approval was switched off", () => {
    const hang = proposal("kernel.hang");
    expect(hang.risk).toBe("high");
    refused(
      checkProposal(POLICY, { ...hang, risk: "low" }, approveContext()),
      /catalog rates AWS-RestartEC2Instance high/,
    );
    refused(checkProposal(POLICY, { ...hang, requiresApproval: false }, approveContext()), /needs a person's approval/);
    refused(
      checkProposal(POLICY, { ...proposal(), requiresApproval: false }, approveContext()),
      /needs a person's approval/,
    );
  });

  it("that claims another root cause, or is advice, or was already decided", () => {
    refused(
      checkProposal(POLICY, { ...proposal(), rootCause: "kernel.hang" }, approveContext()),
      /does not answer root cause/,
    );
    refused(
      checkProposal(POLICY, { ...proposal(), rootCause: "; rm -rf /" }, approveContext()),
      /does not answer root cause/,
    );
    refused(checkProposal(POLICY, { ...proposal(), executable: false }, approveContext()), /advice/);
    for (const status of ["rejected", "expired", "succeeded", "failed", "verified"] as const)
      refused(
        checkProposal(POLICY, { ...proposal(), status }, approveContext()),
        /only a pending or approved proposal/,
      );
  });

  it("that is not a proposal at all", () => {
    refused(
      checkProposal(
        POLICY,
        { ...proposal(), targets: "i-0123456789abcdef0" } as unknown as RemediationProposal,
        approveContext(),
      ),
      /malformed/,
    );
  });
});

describe("checkProposal keeps to the policy's scope", () => {
  const scopes: Array<[string, ProposalCheckContext["target"], RegExp]> = [
    ["an unknown account", { region: "us-east-1", cluster: "prod-east" }, /account the plan would run in is unknown/],
    [
      "another account",
      { account: "999999999999", region: "us-east-1", cluster: "prod-east" },
      /account "999999999999" is outside/,
    ],
    [
      "an account with a space",
      { account: "111122223333 ", region: "us-east-1", cluster: "prod-east" },
      /not a valid account/,
    ],
    [
      "an account in fullwidth digits",
      {
        account: "\uff11\uff11\uff11\uff11\uff12\uff12\uff12\uff12\uff13\uff13\uff13\uff13",
        region: "us-east-1",
        cluster: "prod-east",
      },
      /not a valid account/,
    ],
    ["an unknown region", { account: "111122223333", cluster: "prod-east" }, /region the plan would run in is unknown/],
    [
      "another region",
      { account: "111122223333", region: "eu-west-1", cluster: "prod-east" },
      /region "eu-west-1" is outside/,
    ],
    [
      "a region with a newline",
      { account: "111122223333", region: "us-east-1\n", cluster: "prod-east" },
      /not a valid region/,
    ],
    [
      "an upper-case region",
      { account: "111122223333", region: "US-EAST-1", cluster: "prod-east" },
      /not a valid region/,
    ],
    [
      "an unknown cluster",
      { account: "111122223333", region: "us-east-1" },
      /cluster the plan would run in is unknown/,
    ],
    [
      "another cluster",
      { account: "111122223333", region: "us-east-1", cluster: "prod-west" },
      /cluster "prod-west" is outside/,
    ],
    [
      "a cluster with a Cyrillic е",
      { account: "111122223333", region: "us-east-1", cluster: "prod-\u0435ast" },
      /not a valid cluster/,
    ],
    [
      "a cluster with shell metacharacters",
      { account: "111122223333", region: "us-east-1", cluster: "prod-east; rm -rf /" },
      /not a valid cluster/,
    ],
    [
      "a cluster with a NUL",
      { account: "111122223333", region: "us-east-1", cluster: "prod-east\u0000" },
      /not a valid cluster/,
    ],
    [
      "a cluster path",
      { account: "111122223333", region: "us-east-1", cluster: "../prod-east" },
      /not a valid cluster/,
    ],
    [
      "an oversized cluster name",
      { account: "111122223333", region: "us-east-1", cluster: "p".repeat(10_000) },
      /not a valid cluster/,
    ],
  ];
  it.each(scopes)("refuses %s", (_name, target, pattern) => {
    refused(checkProposal(POLICY, proposal(), approveContext({ target })), pattern);
  });
});

describe("checkProposal lets only the policy's approvers decide", () => {
  it.each([
    ["someone not listed", "mallory", /user "mallory" may not approve/],
    ["root", "root", /may not approve/],
    ["a listed name with a newline", "alice\n", /not an OS user name/],
    ["a listed name with shell metacharacters", "alice; id", /not an OS user name/],
    ["a listed name with a Cyrillic а", "\u0430lice", /not an OS user name/],
    ["a listed name in upper case", "ALICE", /not an OS user name/],
    ["an empty name", "", /not an OS user name/],
    ["nobody", undefined, /no approver/],
  ])("refuses %s", (_name, approver, pattern) => {
    refused(checkProposal(POLICY, proposal(), approveContext({ approver })), pattern);
  });
});

describe("checkProposal runs a plan only on a valid approval of that exact plan", () => {
  const p = { ...proposal(), status: "approved" as const };
  it.each([
    ["a rejection", { decision: "rejected" as const }, /was rejected/],
    ["an approval of another plan", { planHash: "sha256:other" }, /plan changed after it was approved/],
    ["an approval of another proposal", { proposalId: "rem-other" }, /another proposal/],
    [
      "an expired approval",
      { decidedAt: "2026-03-01T11:40:00.000Z", expiresAt: "2026-03-01T11:55:00.000Z" },
      /has expired/,
    ],
    [
      "an approval that outlives the policy's ttl",
      { decidedAt: "2026-03-01T11:55:00.000Z", expiresAt: "2026-03-02T11:55:00.000Z" },
      /longer than the policy's approval ttl/,
    ],
    [
      "an approval older than the ttl whatever it claims",
      { decidedAt: "2026-03-01T11:00:00.000Z", expiresAt: "2026-03-01T12:30:00.000Z" },
      /has expired/,
    ],
    [
      "an approval dated in the future",
      { decidedAt: "2026-03-01T12:05:00.000Z", expiresAt: "2026-03-01T12:20:00.000Z" },
      /in the future/,
    ],
    ["an approval with unreadable times", { decidedAt: "yesterday", expiresAt: "tomorrow" }, /not valid instants/],
    [
      "an approval by someone not listed",
      { approver: { user: "mallory" } },
      /approval: user "mallory" may not approve/,
    ],
    [
      "an approval by a look-alike of a listed user",
      { approver: { user: "b\u043eb" } },
      /approval: .* not an OS user name/,
    ],
  ])("refuses %s", (_name, over, pattern) => {
    refused(checkProposal(POLICY, p, executeContext(p, over)), pattern);
  });

  it("refuses a run with no approval at all", () => {
    refused(checkProposal(POLICY, p, { ...executeContext(p), approval: undefined }), /has no approval/);
  });
});
