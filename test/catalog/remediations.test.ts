import { describe, expect, it } from "vitest";
import { REMEDIATIONS, conntrackMaxFor, documentRisk, remediationFor } from "../../src/catalog/remediations.ts";
import { DOCUMENT_NAMES } from "../../src/catalog/ssm-documents.ts";
import { ROOT_CAUSE_IDS } from "../../src/domain/root-causes.ts";
import { BUILT_IN_RULES } from "../helpers/rules.ts";
import { TOOLS } from "../../tools/index.ts";

const kindsOf = (signals: ReadonlyArray<{ kinds: readonly string[] }> | undefined) =>
  (signals ?? []).flatMap((s) => s.kinds);

describe("the remediation catalog", () => {
  it("answers every root cause in the catalog except none, and nothing else", () => {
    expect(Object.keys(REMEDIATIONS).sort()).toEqual(ROOT_CAUSE_IDS.filter((id) => id !== "none").sort());
    expect(remediationFor("none")).toBeUndefined();
  });

  it("maps node-side causes to the documents that fix them, at the agreed risk, and everything else to advice", () => {
    const actions = Object.fromEntries(
      Object.entries(REMEDIATIONS).flatMap(([id, t]) => (t.kind === "action" ? [[id, `${t.document} ${t.risk}`]] : [])),
    );
    expect(actions).toEqual({
      "runtime.containerd-unhealthy": "Fathom-RestartContainerd medium",
      "runtime.pleg-unhealthy": "Fathom-RestartKubelet medium",
      "net.conntrack-exhaustion": "Fathom-RaiseConntrackLimit low",
      "node.disk-pressure": "Fathom-PruneUnusedImages medium",
      "runtime.sandbox-image-unavailable": "Fathom-RepullSandboxImage low",
      "node.clock-skew": "Fathom-ResyncClock low",
      "kernel.hang": "AWS-RestartEC2Instance high",
    });
    for (const id of [
      "cni.subnet-exhausted",
      "cni.ipamd-permission-denied",
      "node.registration-unauthorized",
      "node.registration-name-mismatch",
      "dns.clusterdns-mismatch",
      "netpol.denied-by-policy",
      "cni.node-ip-capacity",
      "kubelet.config-invalid",
      "storage.ebs-attach-timeout",
      "storage.efs-mount-timeout",
    ] as const) {
      expect(REMEDIATIONS[id].kind, id).toBe("advice");
    }
  });

  it("gives advice steps and never a document for causes no node action fixes", () => {
    for (const [id, t] of Object.entries(REMEDIATIONS)) {
      if (t.kind !== "advice") continue;
      expect(t.steps.length, id).toBeGreaterThan(0);
      expect(t, id).not.toHaveProperty("document");
    }
  });

  it("verifies with a real tool and finding kinds that tool emits and the cause's rule reads", () => {
    for (const [id, t] of Object.entries(REMEDIATIONS)) {
      const tool = TOOLS.find((x) => x.name === t.verification.tool);
      expect(tool, `${id}: ${t.verification.tool}`).toBeDefined();
      const rule = BUILT_IN_RULES.rules.find((r) => r.id === id);
      const ruleKinds = new Set([...kindsOf(rule?.requires), ...kindsOf(rule?.supports)]);
      expect(t.verification.clears.length, id).toBeGreaterThan(0);
      for (const kind of t.verification.clears) {
        expect(Object.keys(tool?.kinds ?? {}), `${id}: ${kind}`).toContain(kind);
        expect(ruleKinds.has(kind), `${id}: ${kind} is evidence for the cause`).toBe(true);
      }
    }
  });

  it("uses only documents fathom knows, each rated once", () => {
    for (const t of Object.values(REMEDIATIONS)) if (t.kind === "action") expect(DOCUMENT_NAMES).toContain(t.document);
    expect(documentRisk("AWS-RestartEC2Instance")).toBe("high");
    expect(documentRisk("Fathom-ResyncClock")).toBe("low");
    expect(documentRisk("AWS-RunShellScript")).toBeUndefined();
  });

  it("lists cordon and drain through the Kubernetes API before every restart, since SSM does not do them", () => {
    for (const id of ["runtime.containerd-unhealthy", "runtime.pleg-unhealthy", "kernel.hang"] as const) {
      const t = REMEDIATIONS[id];
      if (t.kind !== "action") throw new Error(id);
      const steps = t.manualSteps.join("\n");
      expect(steps, id).toMatch(/kubectl cordon/);
      expect(steps, id).toMatch(/kubectl drain/);
      expect(steps, id).toMatch(/uncordon/);
    }
  });

  it("says the conntrack limit only lasts if kube-proxy's conntrack settings are raised too", () => {
    const t = REMEDIATIONS["net.conntrack-exhaustion"];
    if (t.kind !== "action") throw new Error("conntrack");
    expect(t.expectedEffect).toMatch(/kube-proxy sets nf_conntrack_max/);
    expect(t.manualSteps[0]).toMatch(/conntrack\.min/);
    expect(t.manualSteps[0]).toMatch(/maxPerCore/);
    expect(t.rollback).toMatch(/99-fathom-conntrack\.conf/);
  });

  it("prunes images knowing that the pause image must survive", () => {
    const t = REMEDIATIONS["node.disk-pressure"];
    expect(t.kind === "action" && t.expectedEffect).toMatch(/pause image/);
  });

  it.each([
    [undefined, "524288"],
    [65536, "262144"],
    [131072, "262144"],
    [262144, "524288"],
    [300000, "1048576"],
    [600000, "1048576"],
    [1048576, undefined],
    [2000000, undefined],
  ])("chooses a conntrack limit of at least twice the current %s: %s", (current, expected) => {
    expect(conntrackMaxFor(current)).toBe(expected);
  });
});
