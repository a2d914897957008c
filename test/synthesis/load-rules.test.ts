import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  attributesNamed,
  BUILT_IN_RULES_FILE,
  loadRules,
  parseRules,
  parseTeamRules,
  RulesError,
} from "../../src/synthesis/rules/load-rules.ts";
import { vocabularyOf } from "../../src/toolkit/vocabulary.ts";
import { TOOLS } from "../../tools/index.ts";
import { BUILT_IN_RULES } from "../helpers/rules.ts";

const vocabulary = vocabularyOf(TOOLS);
const builtIn = await readFile(BUILT_IN_RULES_FILE, "utf8");

/** The built-in file with one line replaced: the loader must refuse it and name that line. */
function refusal(find: string, replace: string): { line: number; message: string } {
  expect(builtIn, `the built-in file has ${JSON.stringify(find)}`).toContain(find);
  const text = builtIn.replace(find, replace);
  const line = builtIn.slice(0, builtIn.indexOf(find)).split("\n").length;
  try {
    parseRules(text, "rules.yaml", vocabulary);
  } catch (error) {
    expect(error).toBeInstanceOf(RulesError);
    return { line, message: (error as Error).message };
  }
  throw new Error("the rules loaded");
}

describe("loading the diagnostic rules", () => {
  it("loads the built-in file: a rule for every catalog id but none, every kind declared by a tool", async () => {
    const rules = await loadRules(BUILT_IN_RULES_FILE, vocabulary);
    expect(rules.rules.length).toBe(38);
    const declared = new Set(TOOLS.flatMap((t) => Object.keys(t.kinds)));
    for (const rule of rules.rules)
      for (const signal of [...rule.requires, ...rule.supports, ...rule.contrary])
        for (const kind of signal.kinds) expect(declared.has(kind), `${rule.id}: ${kind}`).toBe(true);
  });

  it("names only attributes the tools declare for each kind a rule's condition reads", () => {
    const declared = new Map(TOOLS.flatMap((t) => Object.entries(t.kinds)).map(([k, spec]) => [k, spec.attributes]));
    let checked = 0;
    for (const rule of BUILT_IN_RULES.rules)
      for (const signal of [...rule.requires, ...rule.supports, ...rule.contrary])
        if (signal.where)
          for (const name of attributesNamed(signal.where))
            for (const kind of signal.kinds) {
              expect(Object.keys(declared.get(kind) ?? {}), `${rule.id}: ${kind}.${name}`).toContain(name);
              checked += 1;
            }
    expect(checked).toBeGreaterThan(30);
  });

  it("keeps the scoring constants and the application-level kinds in the data", () => {
    expect(BUILT_IN_RULES.scoring.minConfidence).toBe(0.35);
    expect([...BUILT_IN_RULES.applicationKinds]).toContain("kubelet.probe-failures");
  });

  it.each([
    [
      "an unknown finding kind",
      "      - kind: ipamd.subnet-exhausted\n",
      "      - kind: ipamd.subnet-exhaustd\n",
      'unknown finding kind "ipamd.subnet-exhaustd"',
    ],
    [
      "an id outside the catalog",
      "  - id: cni.subnet-exhausted\n",
      "  - id: cni.subnet-full\n",
      '"cni.subnet-full" is not a root-cause id',
    ],
    ["a rule for none", "  - id: cni.subnet-exhausted\n", "  - id: none\n", "is not a root-cause id"],
    [
      "an explained id outside the catalog",
      "    explains: [cni.ipamd-down]\n",
      "    explains: [cni.ipamd-gone]\n",
      '"cni.ipamd-gone" is not a root-cause id',
    ],
    [
      "an unknown condition form",
      "where: { attribute: classes, contains: subnet-exhausted }",
      "where: { attribute: classes, matches: subnet }",
      "where",
    ],
    ["a misspelt key", "        weight: 1.8\n", "        wieght: 1.8\n", "wieght"],
    ["an unknown group", "      - group: ip-symptoms\n", "      - group: ip-symtoms\n", 'unknown group "ip-symtoms"'],
    [
      "a signal naming its kind twice over",
      "      - kind: ipamd.subnet-exhausted\n",
      "      - kind: ipamd.subnet-exhausted\n        group: ip-symptoms\n",
      "exactly one of kind, kinds or group",
    ],
    ["a YAML syntax error", "  - id: cni.subnet-exhausted\n", "  - id: cni.subnet-exhausted: x\n", "invalid YAML"],
    [
      "a second rule for the same id",
      "  - id: cni.node-ip-capacity\n",
      "  - id: cni.subnet-exhausted\n",
      "a second rule for cni.subnet-exhausted",
    ],
    ["a scoring constant out of range", "  minConfidence: 0.35\n", "  minConfidence: 3.5\n", "scoring.minConfidence"],
  ])("refuses %s with the file and line", (_name, find, replace, says) => {
    const { line, message } = refusal(find, replace);
    expect(message).toContain(says);
    expect(message).toMatch(new RegExp(`rules\\.yaml:${line}\\b`));
  });

  it("lists every problem in a file at once, and loads nothing from it", () => {
    const text = builtIn
      .replace("      - kind: ipamd.subnet-exhausted\n", "      - kind: ipamd.nope\n")
      .replace("  - id: cni.node-ip-capacity\n", "  - id: cni.nope\n");
    let error: RulesError | undefined;
    try {
      parseRules(text, "rules.yaml", vocabulary);
    } catch (e) {
      error = e as RulesError;
    }
    expect(error?.problems).toHaveLength(2);
    expect(error?.message).toContain("2 problems, so no rule from it is used");
  });

  it("checks attribute names against a kind's declared attributes", () => {
    const declared = new Map(vocabulary.kinds);
    declared.set("ipamd.api-errors", new Set(["classes", "total"]));
    expect(() => parseRules(builtIn, "rules.yaml", { kinds: declared })).not.toThrow();
    declared.set("ipamd.api-errors", new Set(["total"]));
    expect(() => parseRules(builtIn, "rules.yaml", { kinds: declared })).toThrow(
      /rules\.yaml:\d+: ipamd\.api-errors has no attribute "classes"/,
    );
  });

  it("refuses a missing file plainly", async () => {
    await expect(loadRules("/nonexistent/rules.yaml", vocabulary)).rejects.toThrow("no such rules file");
  });

  it("refuses anchors and aliases (a data file needs none; refusing them refuses alias bombs)", () => {
    const text = builtIn
      .replace("  ip-symptoms: [", "  ip-symptoms: &ip [")
      .replace("  sandbox-symptoms: [kubelet.sandbox-create-failed, events.sandbox-failed]", "  sandbox-symptoms: *ip");
    expect(() => parseRules(text, "rules.yaml", vocabulary)).toThrow(/invalid YAML/);
  });
});

describe("merging a team's rules file", () => {
  const team = (text: string) => parseTeamRules(text, "team.yaml", vocabulary, BUILT_IN_RULES);

  it("adds a team's own custom cause", () => {
    const rules = team(
      "rules:\n  - id: custom.vault-agent-down\n    summary: The vault agent is down\n    requires: [{ kind: kubelet.probe-failures, weight: 1, why: probes fail }]\n",
    );
    expect(rules.rules.at(-1)).toMatchObject({ id: "custom.vault-agent-down", summary: "The vault agent is down" });
    expect(rules.rules.length).toBe(BUILT_IN_RULES.rules.length + 1);
  });

  it("strengthens a built-in rule: its signals come after the built-in ones, nothing is removed", () => {
    const before = BUILT_IN_RULES.rules.find((r) => r.id === "net.conntrack-exhaustion");
    const rules = team(
      "rules:\n  - id: net.conntrack-exhaustion\n    supports: [{ kind: conntrack.drops, weight: 0.4, why: our dashboards count drops }]\n    explains: [dns.conntrack-race]\n",
    );
    const after = rules.rules.find((r) => r.id === "net.conntrack-exhaustion");
    expect(after?.supports.length).toBe((before?.supports.length ?? 0) + 1);
    expect(after?.supports.slice(0, before?.supports.length)).toEqual(before?.supports);
    expect(after?.requires).toEqual(before?.requires);
    expect(after?.summary).toBe(before?.summary);
    expect(after?.explains).toContain("dns.conntrack-race");
    expect(BUILT_IN_RULES.rules.find((r) => r.id === "net.conntrack-exhaustion")).toBe(before);
  });

  it.each([
    [
      "an id that is neither the catalog's nor custom.<name>",
      "  - id: acme.thing\n    summary: s\n    requires: [{ kind: kubelet.probe-failures, weight: 1, why: w }]\n",
      "neither a catalog id nor",
    ],
    [
      "a new cause without required evidence",
      "  - id: custom.thing\n    summary: s\n",
      "needs a summary and at least one required signal",
    ],
    [
      "an unknown kind",
      "  - id: custom.thing\n    summary: s\n    requires: [{ kind: kubelet.nope, weight: 1, why: w }]\n",
      'unknown finding kind "kubelet.nope"',
    ],
    [
      "scoring, which stays as shipped",
      "  - id: custom.thing\n    summary: s\n    requires: [{ kind: kubelet.probe-failures, weight: 1, why: w }]\nscoring: {}\n",
      "scoring",
    ],
  ])("refuses %s with file:line", (_name, body, says) => {
    expect(() => team(`rules:\n${body}`)).toThrow(says);
    expect(() => team(`rules:\n${body}`)).toThrow(/team\.yaml:\d+/);
  });

  it("refuses redefining a built-in group", () => {
    expect(() =>
      team(
        "groups:\n  ip-symptoms: [kubelet.probe-failures]\nrules:\n  - id: custom.thing\n    summary: s\n    requires: [{ group: ip-symptoms, weight: 1, why: w }]\n",
      ),
    ).toThrow(/team\.yaml:2: group "ip-symptoms" is already defined/);
  });
});
