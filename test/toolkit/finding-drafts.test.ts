import { describe, expect, it } from "vitest";
import { draft, fact, fromOccurrences, times } from "../../src/toolkit/finding-drafts.ts";
import { Occurrences } from "../../src/toolkit/occurrences.ts";

describe("finding drafts", () => {
  it("fill the defaults one way: count 1, no evidence, no attributes, no hints", () => {
    expect(draft({ kind: "x.y", severity: "high", summary: "s" })).toEqual({
      kind: "x.y",
      severity: "high",
      summary: "s",
      evidence: [],
      count: 1,
      attributes: {},
      correlateWith: [],
    });
  });

  it("state facts at info severity", () => {
    expect(fact("x.settings", "read", { a: 1 }).severity).toBe("info");
  });

  it("take count, first and last seen and samples from occurrences", () => {
    const occ = new Occurrences();
    occ.add("kubelet/kubelet.log", 3, Date.parse("2026-11-24T10:00:00Z"), "first");
    occ.add("kubelet/kubelet.log", 9, Date.parse("2026-11-24T10:05:00Z"), "second");
    const d = fromOccurrences(occ, { kind: "x.y", severity: "medium", summary: "s" });
    expect(d.count).toBe(2);
    expect(d.firstSeen).toBe("2026-11-24T10:00:00.000Z");
    expect(d.lastSeen).toBe("2026-11-24T10:05:00.000Z");
    expect(d.evidence.map((e) => e.line)).toEqual([3, 9]);
  });

  it("leave first and last seen out when the signal had no time", () => {
    const occ = new Occurrences();
    occ.add("f", 1, undefined, "x");
    expect(Object.keys(fromOccurrences(occ, { kind: "x.y", severity: "low", summary: "s" }))).not.toContain(
      "firstSeen",
    );
  });

  it("say counts the same way everywhere", () => {
    expect([times(1), times(3)]).toEqual(["1 time", "3 times"]);
  });
});
