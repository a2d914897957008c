import { describe, expect, it } from "vitest";
import type { IdentifiedFinding } from "../../src/domain/investigation.ts";
import { holds } from "../../src/synthesis/rules/conditions.ts";
import { ConditionSchema, type Condition } from "../../src/synthesis/rules/rules-schema.ts";

const END = Date.parse("2026-11-24T10:30:00Z");
const window = { start: END - 86_400_000, end: END };

function finding(
  attributes: IdentifiedFinding["attributes"],
  extra: Partial<IdentifiedFinding> = {},
): IdentifiedFinding {
  return {
    id: "F-001",
    lane: "network",
    tool: "t",
    node: "n",
    kind: "x.y",
    severity: "info",
    summary: "s",
    evidence: [],
    count: 1,
    attributes,
    correlateWith: [],
    ...extra,
  };
}

/** Conditions are written as in the rules file and parsed by its schema, so the table tests the file's forms. */
const when = (condition: unknown): Condition => ConditionSchema.parse(condition);

describe("rule conditions", () => {
  it.each([
    ["eq matches an equal number", { attribute: "n", eq: 0 }, { n: 0 }, true],
    ["eq is strict about types", { attribute: "n", eq: 0 }, { n: "0" }, false],
    ["eq compares booleans", { attribute: "on", eq: false }, { on: false }, true],
    ["eq on a missing attribute is false", { attribute: "on", eq: false }, {}, false],
    ["ne holds for a different value", { attribute: "mode", ne: "ipvs" }, { mode: "iptables" }, true],
    ["gt compares numbers", { attribute: "free", gt: 0 }, { free: 3 }, true],
    ["gt on a string is not a number: false", { attribute: "free", gt: 0 }, { free: "3" }, false],
    ["lte at the bound holds", { attribute: "mtu", lte: 1500 }, { mtu: 1500 }, true],
    ["lte above the bound fails", { attribute: "mtu", lte: 1500 }, { mtu: 9001 }, false],
    ["a missing value stands for the stated default", { attribute: "percent", lt: 50, missing: 100 }, {}, false],
    ["the default makes a missing count hold", { attribute: "failed", eq: 0, missing: 0 }, {}, true],
    ["a present value ignores the default", { attribute: "failed", eq: 0, missing: 0 }, { failed: 2 }, false],
    [
      "gte and lt bracket a value",
      {
        all: [
          { attribute: "n", gte: 2 },
          { attribute: "n", lt: 3 },
        ],
      },
      { n: 2 },
      true,
    ],
    ["compares with another attribute", { attribute: "a", eq: { attribute: "b" } }, { a: 4, b: 4 }, true],
    ["another attribute that is missing makes it false", { attribute: "a", eq: { attribute: "b" } }, { a: 4 }, false],
    ["two missing attributes are not equal", { attribute: "a", eq: { attribute: "b" } }, {}, false],
    [
      "indexes a list attribute",
      { attribute: "dns[0]", eq: { attribute: "ip" } },
      { dns: ["10.100.0.10"], ip: "10.100.0.10" },
      true,
    ],
    ["an index past the end is missing", { attribute: "dns[1]", eq: "x" }, { dns: ["x"] }, false],
    ["an index into a non-list is missing", { attribute: "dns[0]", eq: "x" }, { dns: "x" }, false],
    [
      "contains finds a list element",
      { attribute: "classes", contains: "throttled" },
      { classes: ["a", "throttled"] },
      true,
    ],
    [
      "contains treats a single value as a list of one",
      { attribute: "units", contains: "chronyd.service" },
      { units: "chronyd.service" },
      true,
    ],
    ["contains on a missing list is false", { attribute: "classes", contains: "throttled" }, {}, false],
    [
      "ratio divides two attributes",
      { ratio: { of: "threads", to: "pidMax" }, lt: 0.5 },
      { threads: 100, pidMax: 4_194_304 },
      true,
    ],
    [
      "ratio over zero is missing",
      { ratio: { of: "threads", to: "pidMax" }, lt: 0.5 },
      { threads: 1, pidMax: 0 },
      false,
    ],
    [
      "all needs every condition",
      {
        all: [
          { attribute: "a", eq: 1 },
          { attribute: "b", eq: 2 },
        ],
      },
      { a: 1, b: 3 },
      false,
    ],
    [
      "any needs one condition",
      {
        any: [
          { attribute: "a", eq: 1 },
          { attribute: "b", eq: 2 },
        ],
      },
      { a: 0, b: 2 },
      true,
    ],
  ])("%s", (_name, condition, attributes, expected) => {
    expect(holds(when(condition), finding(attributes as IdentifiedFinding["attributes"]), window)).toBe(expected);
  });

  it("count compares the finding's occurrence count", () => {
    expect(holds(when({ count: { gte: 5 } }), finding({}, { count: 5 }), window)).toBe(true);
    expect(holds(when({ count: { gte: 5 } }), finding({}, { count: 4 }), window)).toBe(false);
  });

  it("seenWithin holds for evidence last seen close to the end of the window", () => {
    const recent = finding({}, { lastSeen: new Date(END - 20 * 60_000).toISOString() });
    const old = finding({}, { lastSeen: new Date(END - 3 * 3_600_000).toISOString() });
    expect(holds(when({ seenWithin: "30m" }), recent, window)).toBe(true);
    expect(holds(when({ seenWithin: "30m" }), old, window)).toBe(false);
    expect(holds(when({ seenWithin: "30m" }), finding({}), window)).toBe(false);
  });

  it.each([
    ["two comparisons at once", { attribute: "a", eq: 1, gt: 0 }],
    ["no comparison", { attribute: "a" }],
    ["an unknown form", { matches: "regex" }],
    ["a misspelt operator", { attribute: "a", equals: 1 }],
    ["a malformed duration", { seenWithin: "soon" }],
    ["an empty all", { all: [] }],
  ])("refuses %s", (_name, condition) => {
    expect(ConditionSchema.safeParse(condition).success).toBe(false);
  });
});
