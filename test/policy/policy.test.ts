import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyError, executionAllowed, loadOptionalPolicy, loadPolicy, parsePolicy } from "../../src/policy/policy.ts";

const examplePath = join(import.meta.dirname, "..", "..", "policy.example.yaml");
const example = readFileSync(examplePath, "utf8");

const minimal = (overrides: { documents?: string; approval?: string; execution?: string; scope?: string } = {}) =>
  [
    "apiVersion: fathom/v1",
    overrides.scope ?? 'scope:\n  accounts: ["111122223333"]\n  regions: [us-east-1]\n  clusters: [prod-east]',
    overrides.execution ?? "execution:\n  assumeRole: arn:aws:iam::111122223333:role/fathom-remediation",
    overrides.documents ?? "documents:\n  allow: [Fathom-ResyncClock]",
    overrides.approval ?? "approval:\n  approvers: [alice]",
    "",
  ].join("\n");

function errorOf(text: string): PolicyError {
  try {
    parsePolicy(text, "policy.yaml");
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error("expected the policy to be refused");
}

describe("the policy file", () => {
  it("loads the documented example", async () => {
    const policy = await loadPolicy(examplePath);
    expect(policy.scope).toEqual({ accounts: ["111122223333"], regions: ["us-east-1"], clusters: ["prod-east"] });
    expect(policy.execution).toEqual({
      assumeRole: "arn:aws:iam::111122223333:role/fathom-remediation",
      maxTargets: 3,
    });
    expect(policy.documents.allow).toContain("AWS-RestartEC2Instance");
    expect(policy.documents.waiveApproval).toEqual([]);
    expect(policy.approval).toEqual({ ttlMs: 15 * 60_000, approvers: ["alice", "bob"] });
    expect(policy.version).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("applies safe defaults: one target, a 15 minute approval, every document approved by a person", () => {
    const policy = parsePolicy(minimal(), "p.yaml");
    expect(policy.execution.maxTargets).toBe(1);
    expect(policy.approval.ttlMs).toBe(900_000);
    expect(policy.documents.waiveApproval).toEqual([]);
  });

  it("versions the meaning, not the formatting: comments and key order do not change it, a setting does", () => {
    const base = parsePolicy(example, "a.yaml").version;
    expect(parsePolicy(`# a new comment\n${example.replaceAll("# ", "#  ")}`, "b.yaml").version).toBe(base);
    const reordered = minimal({ approval: "approval:\n  ttl: 15m\n  approvers: [alice]" });
    expect(parsePolicy(reordered, "c.yaml").version).toBe(parsePolicy(minimal(), "d.yaml").version);
    expect(parsePolicy(example.replace("ttl: 15m", "ttl: 16m"), "e.yaml").version).not.toBe(base);
    expect(parsePolicy(example.replace("- bob", "- carol"), "f.yaml").version).not.toBe(base);
  });

  it.each([
    [
      "waives approval for a high-risk document",
      minimal({
        documents: "documents:\n  allow: [AWS-RestartEC2Instance]\n  waiveApproval:\n    - AWS-RestartEC2Instance",
      }),
      11,
      /may not waive approval for AWS-RestartEC2Instance: it is high risk/,
    ],
    [
      "waives approval for a document it does not allow",
      minimal({ documents: "documents:\n  allow: [Fathom-ResyncClock]\n  waiveApproval: [Fathom-RestartKubelet]" }),
      10,
      /not in documents.allow/,
    ],
    [
      "allows a document fathom does not ship or name",
      minimal({ documents: "documents:\n  allow:\n    - Fathom-ResyncClock\n    - AWS-RunShellScript" }),
      11,
      /unknown document "AWS-RunShellScript"/,
    ],
    [
      "allows a look-alike document name",
      minimal({ documents: "documents:\n  allow: [Fаthom-ResyncClock]" }),
      9,
      /unknown document/,
    ],
    ["misspells a key", minimal({ approval: "approval:\n  approver: [alice]" }), 11, /Unrecognized key: "approver"/],
    ["adds an unknown top-level key", `${minimal()}shell: true\n`, 12, /Unrecognized key: "shell"/],
    [
      "sets a ttl below a minute",
      minimal({ approval: "approval:\n  ttl: 30s\n  approvers: [alice]" }),
      11,
      /between 1m and 24h/,
    ],
    [
      "sets a ttl above a day",
      minimal({ approval: "approval:\n  ttl: 25h\n  approvers: [alice]" }),
      11,
      /between 1m and 24h/,
    ],
    ["writes a ttl without a unit", minimal({ approval: "approval:\n  ttl: 900\n  approvers: [alice]" }), 11, /ttl/],
    ["names no approver", minimal({ approval: "approval:\n  approvers: []" }), 11, /approvers/],
    [
      "names an approver with a shell metacharacter",
      minimal({ approval: "approval:\n  approvers: ['alice; id']" }),
      11,
      /OS user name/,
    ],
    [
      "names a 13-digit account",
      minimal({ scope: 'scope:\n  accounts: ["1111222233334"]\n  regions: [us-east-1]\n  clusters: [prod-east]' }),
      3,
      /12 digits/,
    ],
    [
      "names an account as a number",
      minimal({ scope: "scope:\n  accounts: [111122223333]\n  regions: [us-east-1]\n  clusters: [prod-east]" }),
      3,
      /accounts/,
    ],
    [
      "names a cluster with a path",
      minimal({ scope: 'scope:\n  accounts: ["111122223333"]\n  regions: [us-east-1]\n  clusters: [../prod]' }),
      5,
      /EKS cluster name/,
    ],
    [
      "has an empty scope",
      minimal({ scope: "scope:\n  accounts: []\n  regions: [us-east-1]\n  clusters: [prod-east]" }),
      3,
      /accounts/,
    ],
    [
      "uses a role in an account outside its scope",
      minimal({ execution: "execution:\n  assumeRole: arn:aws:iam::999999999999:role/x" }),
      7,
      /not in scope.accounts/,
    ],
    [
      "uses something that is not a role ARN",
      minimal({ execution: "execution:\n  assumeRole: arn:aws:iam::111122223333:user/x" }),
      7,
      /IAM role ARN/,
    ],
    [
      "allows more than 50 targets",
      minimal({ execution: "execution:\n  assumeRole: arn:aws:iam::111122223333:role/x\n  maxTargets: 51" }),
      8,
      /maxTargets/,
    ],
    ["repeats a key", `${minimal()}apiVersion: fathom/v1\n`, 12, /invalid YAML/],
    [
      "uses an alias",
      minimal({ approval: "approval:\n  approvers: &a [alice]\n  extra: *a" }),
      undefined,
      /invalid YAML|alias/i,
    ],
    ["has another apiVersion", minimal().replace("fathom/v1", "fathom/v2"), 1, /apiVersion/],
  ])("refuses a policy that %s, naming the line", (_name, text, line, message) => {
    const error = errorOf(text);
    expect(error.message).toMatch(message);
    expect(error.line).toBe(line);
    expect(error.message.startsWith(`policy.yaml${line ? `:${line}` : ""}: `)).toBe(true);
  });

  describe("on disk", () => {
    let dir = "";
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "fathom-policy-"));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it("means execute nothing when there is no file", async () => {
      expect(await loadOptionalPolicy(join(dir, "absent.yaml"))).toBeUndefined();
      expect(executionAllowed(undefined)).toEqual({
        ok: false,
        reasons: [expect.stringMatching(/no policy file: fathom investigates local bundles and executes nothing/)],
      });
      await expect(loadPolicy(join(dir, "absent.yaml"))).rejects.toThrow(/no such policy file/);
    });

    it("loads a file that is there, and refuses one that is too large", async () => {
      const file = join(dir, "policy.yaml");
      await writeFile(file, minimal());
      const policy = await loadOptionalPolicy(file);
      expect(policy?.source).toBe(file);
      expect(executionAllowed(policy)).toEqual({ ok: true });
      const big = join(dir, "big.yaml");
      await writeFile(big, `${minimal()}#${"x".repeat(300 * 1024)}\n`);
      await expect(loadPolicy(big)).rejects.toThrow(/larger than/);
    });
  });
});
