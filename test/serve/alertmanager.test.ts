import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { fireAlerts, startAlertmanager } from "../helpers/alertmanager.ts";
import { bundlesWithFault, startServe, testPolicy, TOKENS } from "./helpers.ts";

let bundles: Awaited<ReturnType<typeof bundlesWithFault>>;
let serve: Awaited<ReturnType<typeof startServe>>;
let am: Awaited<ReturnType<typeof startAlertmanager>>;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  bundles = await bundlesWithFault();
  serve = await startServe({ bundles: bundles.dir, policy: testPolicy() });
  am = await startAlertmanager(`${serve.url}/webhooks/alertmanager`, TOKENS.alertmanager);
});
afterAll(async () => {
  await am?.stop();
  await serve?.stop();
  await bundles?.cleanup();
});

describe("a real Alertmanager firing into fathom serve", () => {
  const alert = {
    labels: {
      alertname: "NodeNetworkDrops",
      node: "ip-10-0-12-34.ec2.internal",
      cluster: "prod-shop",
      severity: "critical",
    },
    annotations: { summary: "conntrack drops on ip-10-0-12-34" },
    startsAt: "2026-11-24T10:25:00Z",
  };

  it("turns a fired alert into one stored investigation with a report, and re-sent groups do not duplicate it", async () => {
    await fireAlerts(am.url, [alert]);
    const investigation = await until("an investigation with a report", () => {
      const [summary] = serve.store.listInvestigations();
      return summary && serve.store.getInvestigation(summary.id)?.report ? summary : undefined;
    });
    expect(serve.store.getInvestigation(investigation.id)?.report?.rootCauses[0]?.id).toBe("net.conntrack-exhaustion");
    // …with a proposal waiting for a person in fathom approve.
    await until("the pending proposal", () =>
      serve.store.listProposals({ investigationId: investigation.id, status: "pending" }).length === 1
        ? true
        : undefined,
    );
    expect(serve.store.listProposals({ investigationId: investigation.id, status: "pending" })[0]?.document).toBe(
      "Fathom-RaiseConntrackLimit",
    );
    // Alertmanager re-sends the whole group every repeat_interval: they must attach, not start anew.
    await until(
      "a re-sent notification",
      () =>
        serve.store.listAlarms({ limit: 100 }).filter((a) => a.outcome === "attached").length > 0 ? true : undefined,
      30_000,
    );
    expect(serve.store.listInvestigations()).toHaveLength(1);
  });

  it("closes the incident when the alert resolves", async () => {
    await fireAlerts(am.url, [{ ...alert, endsAt: new Date(Date.now() - 1000).toISOString() }]);
    await until(
      "the resolved notification",
      () => (serve.store.listAlarms({ limit: 100 }).some((a) => a.outcome === "resolved") ? true : undefined),
      30_000,
    );
    const [summary] = serve.store.listInvestigations();
    expect(summary?.incidentKey).toBeDefined();
    expect(serve.store.getIncident(summary?.incidentKey as string)?.status).toBe("resolved");
    expect(serve.store.listInvestigations()).toHaveLength(1);
  });
});
