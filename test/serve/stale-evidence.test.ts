import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlesWithFault, startServe, TOKENS } from "./helpers.ts";

let bundles: Awaited<ReturnType<typeof bundlesWithFault>>;
let serve: Awaited<ReturnType<typeof startServe>>;

beforeAll(async () => {
  bundles = await bundlesWithFault();
  serve = await startServe({ bundles: bundles.dir });
});
afterAll(async () => {
  await serve.stop();
  await bundles.cleanup();
});

describe("a bundle collected long before the alarm", () => {
  it("is not silently used: the report says the evidence is stale and the verdict is inconclusive", async () => {
    const alert = {
      version: "4",
      status: "firing",
      receiver: "fathom",
      groupKey: "{}",
      truncatedAlerts: 0,
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: "http://am",
      alerts: [
        {
          status: "firing",
          labels: { alertname: "NodeNetworkDrops", node: "ip-10-0-12-34.ec2.internal" },
          annotations: {},
          startsAt: "2026-11-26T09:00:00Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: "beef",
        },
      ],
    };
    const res = await fetch(`${serve.url}/webhooks/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.alertmanager}` },
      body: JSON.stringify(alert),
    });
    expect(res.status).toBe(202);
    await serve.app.idle();
    const report = serve.store.getInvestigation(serve.store.listInvestigations()[0]?.id as string)?.report;
    expect(report?.verdict).toBe("inconclusive");
    expect(report?.rootCauses[0]?.id).toBe("none");
    expect(report?.rootCauses[0]?.summary).toMatch(/stale/);
    expect(report?.gaps.some((g) => /stale/.test(g.reason))).toBe(true);
  });

  it("is stored as the machine built it, with the investigation's real start and duration (not the alarm's time)", () => {
    const stored = serve.store.getInvestigation(serve.store.listInvestigations()[0]?.id as string);
    const timings = stored?.report?.timings;
    expect(timings?.startedAt).not.toBe("2026-11-26T09:00:00.000Z");
    expect(Math.abs(Date.parse(timings?.startedAt ?? "") - Date.now())).toBeLessThan(10 * 60_000);
    expect(timings?.totalMs).toBeGreaterThan(0);
    expect(timings?.totalMs).toBeGreaterThanOrEqual(timings?.lanesMs ?? Infinity);
  });
});
