import { describe, expect, it } from "vitest";
import type { IdentifiedFinding } from "../../src/domain/investigation.ts";
import type { Severity } from "../../src/domain/severity.ts";
import type { ReasonerInput } from "../../src/synthesis/reasoner.ts";
import { evaluateRules } from "../../src/synthesis/rules/engine.ts";
import { parseRules } from "../../src/synthesis/rules/load-rules.ts";

const END = Date.parse("2026-11-24T10:30:00Z");
const KINDS = ["a.strong", "a.support", "a.fact", "b.strong", "b.contra", "app.crash"];
const vocabulary = { kinds: new Map(KINDS.map((k) => [k, undefined])) };

const SCORING = `
scoring:
  minConfidence: 0.35
  minCoverage: 0.3
  downstreamFactor: 0.35
  breadthPerDoubling: 0.1
  severityFactor: { critical: 1.15, high: 1, medium: 0.8, low: 0.55, info: 0.35 }
  recency: [{ within: 30m, factor: 1 }, { within: 2h, factor: 0.7 }, { factor: 0.3 }]
  inconclusive: { confidence: 0.1 }
  nothingFound: { base: 0.5, perCoverage: 0.4, perCauseConsidered: 0.05, floor: 0.3 }
applicationKinds: [app.crash]
`;

/** Two causes: A (subnet) explains B (ipamd down) on the same node. */
const rules = parseRules(
  `${SCORING}
rules:
  - id: cni.subnet-exhausted
    summary: A happened
    requires: [{ kind: a.strong, weight: 1.5, why: A's own evidence }]
    supports: [{ kind: a.support, weight: 0.5, why: A's symptom }]
    contrary: [{ kind: a.fact, weight: 1, why: a fact against A, where: { attribute: ok, eq: true } }]
    explains: [cni.ipamd-down]
  - id: cni.ipamd-down
    summary: B happened
    requires: [{ kind: b.strong, weight: 1.2, why: B's own evidence }]
    contrary: [{ kind: b.contra, weight: 2, why: B is plainly fine }]
`,
  "test-rules.yaml",
  vocabulary,
);

let next = 0;
function f(kind: string, severity: Severity, extra: Partial<IdentifiedFinding> = {}): IdentifiedFinding {
  next += 1;
  return {
    id: `F-${String(next).padStart(3, "0")}`,
    lane: "network",
    tool: "t",
    node: "n1",
    kind,
    severity,
    summary: kind,
    evidence: [],
    count: 1,
    attributes: {},
    correlateWith: [],
    ...extra,
  };
}

function input(findings: IdentifiedFinding[], options: { ratio?: number; nodes?: string[] } = {}): ReasonerInput {
  const ratio = options.ratio ?? 1;
  return {
    incident: {
      id: "i",
      source: "manual",
      nodes: [],
      title: "t",
      startsAt: new Date(END).toISOString(),
      fingerprint: "f",
      labels: {},
    },
    findings,
    coverage: { toolCalls: 10, ok: Math.round(10 * ratio), noData: 0, errors: 0, failed: 0, ratio },
    nodes: options.nodes ?? ["n1"],
    window: { start: END - 86_400_000, end: END },
  };
}

const confidenceOf = (score: number) => Math.round((1 - Math.exp(-score)) * 100) / 100;

describe("the rules engine", () => {
  it("names the cause whose required evidence is present, with its weight as confidence", () => {
    const strong = f("a.strong", "high");
    const out = evaluateRules(rules, input([strong]));
    expect(out.verdict).toBe("explained");
    expect(out.rootCauses[0]).toMatchObject({
      id: "cni.subnet-exhausted",
      confidence: confidenceOf(1.5),
      supporting: [strong.id],
    });
  });

  it("never considers a cause without its required evidence, however much supports it", () => {
    const out = evaluateRules(rules, input([f("a.support", "critical"), f("a.support", "high")]));
    expect(out.verdict).toBe("nothing-found");
    expect(out.rootCauses[0]?.id).toBe("none");
  });

  it("does not count an info finding as required evidence (facts are not symptoms)", () => {
    expect(evaluateRules(rules, input([f("a.strong", "info")])).rootCauses[0]?.id).toBe("none");
  });

  it("weighs a finding by its severity", () => {
    const out = evaluateRules(rules, input([f("a.strong", "medium")]));
    expect(out.rootCauses[0]?.confidence).toBe(confidenceOf(1.5 * 0.8));
  });

  it("adds a supporting signal once, at its strongest finding", () => {
    const out = evaluateRules(rules, input([f("a.strong", "high"), f("a.support", "high"), f("a.support", "low")]));
    expect(out.rootCauses[0]?.confidence).toBe(confidenceOf(1.5 + 0.5));
    expect(out.rootCauses[0]?.supporting).toHaveLength(3);
  });

  it("subtracts contrary evidence, even an info fact, only when its condition holds", () => {
    const against = f("a.fact", "info", { attributes: { ok: true } });
    const notAgainst = f("a.fact", "info", { attributes: { ok: false } });
    const with_ = evaluateRules(rules, input([f("a.strong", "high"), against]));
    const without = evaluateRules(rules, input([f("a.strong", "high"), notAgainst]));
    expect(with_.rootCauses[0]?.confidence).toBe(confidenceOf(0.5));
    expect(with_.rootCauses[0]?.contrary).toEqual([against.id]);
    expect(without.rootCauses[0]?.confidence).toBe(confidenceOf(1.5));
  });

  it("says why a cause lost when the evidence argued against it", () => {
    const out = evaluateRules(
      rules,
      input([f("a.strong", "high"), f("b.strong", "high", { node: "n2" }), f("b.contra", "info", { node: "n2" })], {
        nodes: ["n1", "n2"],
      }),
    );
    const b = out.rootCauses[0]?.ruledOut.find((r) => r.id === "cni.ipamd-down");
    expect(b?.reason).toBe("argued against: B is plainly fine");
  });

  it("ranks a downstream cause below the cause that explains it on the same node", () => {
    const out = evaluateRules(rules, input([f("b.strong", "critical"), f("a.strong", "high")]));
    expect(out.rootCauses.map((c) => c.id)[0]).toBe("cni.subnet-exhausted");
    const ruledOut = out.rootCauses[0]?.ruledOut.find((r) => r.id === "cni.ipamd-down");
    expect(ruledOut?.reason).toBe("a downstream symptom of cni.subnet-exhausted");
  });

  it("does not demote a downstream cause seen on another node", () => {
    const out = evaluateRules(
      rules,
      input([f("a.strong", "high"), f("b.strong", "critical", { node: "n2" })], { nodes: ["n1", "n2"] }),
    );
    const b = out.rootCauses.find((c) => c.id === "cni.ipamd-down");
    expect(b?.confidence).toBe(confidenceOf(1.2 * 1.15));
  });

  it("boosts a cause found on several nodes a little", () => {
    const one = evaluateRules(rules, input([f("a.strong", "high")], { nodes: ["n1", "n2"] }));
    const two = evaluateRules(
      rules,
      input([f("a.strong", "high"), f("a.strong", "high", { node: "n2" })], { nodes: ["n1", "n2"] }),
    );
    expect(two.rootCauses[0]?.confidence).toBe(confidenceOf(1.5 + 0.1));
    expect(two.rootCauses[0]?.nodes).toEqual(["n1", "n2"]);
    expect(one.rootCauses[0]?.nodes).toEqual(["n1"]);
  });

  it("counts evidence that stopped long before the incident for less", () => {
    const hoursAgo = (h: number) => new Date(END - h * 3_600_000).toISOString();
    const recent = evaluateRules(rules, input([f("a.strong", "high", { lastSeen: hoursAgo(0.2) })]));
    const earlier = evaluateRules(rules, input([f("a.strong", "high", { lastSeen: hoursAgo(1) })]));
    const old = evaluateRules(rules, input([f("a.strong", "high", { lastSeen: hoursAgo(5) })]));
    expect([recent, earlier, old].map((o) => o.rootCauses[0]?.confidence)).toEqual([
      confidenceOf(1.5),
      confidenceOf(1.5 * 0.7),
      0.36,
    ]);
  });

  it("answers none with the weak causes ruled out when nothing reaches the minimum confidence", () => {
    const old = new Date(END - 5 * 3_600_000).toISOString();
    const out = evaluateRules(rules, input([f("b.strong", "low", { lastSeen: old })]));
    expect(out.verdict).toBe("nothing-found");
    expect(out.rootCauses[0]?.ruledOut).toEqual([{ id: "cni.ipamd-down", reason: "weak evidence (confidence 0.18)" }]);
    expect(out.rootCauses[0]?.confidence).toBe(Math.round((0.5 + 0.4 - 0.05) * 100) / 100);
  });

  it("cites application-level findings as support for none", () => {
    const crash = f("app.crash", "high");
    const out = evaluateRules(rules, input([crash]));
    expect(out.rootCauses[0]).toMatchObject({ id: "none", supporting: [crash.id] });
  });

  it("is inconclusive, not healthy, when too little evidence could be read", () => {
    const out = evaluateRules(rules, input([f("a.strong", "critical")], { ratio: 0.2 }));
    expect(out.verdict).toBe("inconclusive");
    expect(out.rootCauses).toHaveLength(1);
    expect(out.rootCauses[0]).toMatchObject({ id: "none", confidence: 0.1 });
  });

  it("breaks ties by supporting evidence, then by id, so the order never depends on input order", () => {
    const a = [f("a.strong", "high"), f("b.strong", "high", { node: "n2" })];
    const first = evaluateRules(rules, input(a, { nodes: ["n1", "n2"] }));
    const second = evaluateRules(rules, input([...a].reverse(), { nodes: ["n1", "n2"] }));
    expect(first.rootCauses.map((c) => c.id)).toEqual(second.rootCauses.map((c) => c.id));
  });
});
