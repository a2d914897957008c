import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSelfSignedCertificate } from "../triggers/helpers/self-signed-cert.ts";
import {
  cloudWatchAlarmMessage,
  confirmation,
  eventBridgeAlarmEvent,
  notification,
  signSns,
  TOPIC_ARN,
} from "../triggers/helpers/payloads.ts";
import { bundlesWithFault, startServe, TOKENS } from "./helpers.ts";

const cert = createSelfSignedCertificate();
let bundles: Awaited<ReturnType<typeof bundlesWithFault>>;
let serve: Awaited<ReturnType<typeof startServe>>;

const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${serve.url}${path}`, { method: "POST", body, headers });
const snsBody = (message: Record<string, unknown>) => JSON.stringify(message);
const fresh = () => new Date().toISOString();

beforeAll(async () => {
  bundles = await bundlesWithFault();
  serve = await startServe({ bundles: bundles.dir, topics: [TOPIC_ARN], fetchCertificate: async () => cert.pem });
});
afterAll(async () => {
  await serve.stop();
  await bundles.cleanup();
});

describe("fathom serve's receivers", () => {
  it("confirms a signed SNS subscription only after its checks", async () => {
    const res = await post(
      "/webhooks/sns",
      snsBody(signSns(confirmation("SubscriptionConfirmation", { Timestamp: fresh() }), cert.privateKey, "2")),
      { "content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "SubscriptionConfirmation" },
    );
    expect(res.status).toBe(202);
    expect(serve.confirmed).toHaveLength(1);
    expect(serve.confirmed[0]).toMatch(/^https:\/\/sns\.us-east-1\.amazonaws\.com\/\?Action=ConfirmSubscription/);
  });

  it("turns a CloudWatch alarm via SNS into one investigation, and the same alarm via EventBridge joins it", async () => {
    const signed = signSns(
      notification(JSON.stringify(cloudWatchAlarmMessage("ALARM")), { Timestamp: fresh() }),
      cert.privateKey,
      "1",
    );
    const viaSns = await post("/webhooks/sns", snsBody(signed), {
      "content-type": "text/plain; charset=UTF-8",
      "x-amz-sns-message-type": "Notification",
    });
    expect(viaSns.status).toBe(202);
    const first = (await viaSns.json()) as {
      results: Array<{ outcome: string; investigationId: string; key: string }>;
    };
    expect(first.results[0]?.outcome).toBe("investigation-started");
    const viaEventBridge = await post("/webhooks/eventbridge", JSON.stringify(eventBridgeAlarmEvent("ALARM")), {
      "content-type": "application/json",
      "x-api-key": TOKENS.eventbridge,
    });
    expect(viaEventBridge.status).toBe(202);
    const second = (await viaEventBridge.json()) as {
      results: Array<{ outcome: string; investigationId: string; key: string }>;
    };
    expect(second.results[0]).toMatchObject({
      outcome: "attached",
      key: first.results[0]?.key,
      investigationId: first.results[0]?.investigationId,
    });
    await serve.app.idle();
    const id = first.results[0]?.investigationId as string;
    const shown = await fetch(`${serve.url}/investigations/${id}`, {
      headers: { authorization: `Bearer ${TOKENS.api}` },
    });
    expect(shown.status).toBe(200);
    const body = (await shown.json()) as { report?: { rootCauses: Array<{ id: string }> }; state: string };
    expect(body.report?.rootCauses[0]?.id).toBe("net.conntrack-exhaustion");
    expect(serve.store.listInvestigations()).toHaveLength(1);
    const ok = await post("/webhooks/eventbridge", JSON.stringify(eventBridgeAlarmEvent("OK")), {
      "content-type": "application/json",
      "x-api-key": TOKENS.eventbridge,
    });
    expect(((await ok.json()) as { results: Array<{ outcome: string }> }).results[0]?.outcome).toBe("resolved");
  });

  it("answers health and Prometheus metrics", async () => {
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/fathom_alarms_received_total\{receiver="sns"\} \d+/);
    expect(metrics).toMatch(/fathom_alarms_deduplicated_total\{receiver="eventbridge"\} 1/);
    expect(metrics).toMatch(/fathom_investigations\{state="done"\} 1/);
  });
});

describe("bad input gets a clear 4xx and stores nothing", () => {
  const amGroup = JSON.stringify({
    version: "4",
    status: "firing",
    receiver: "fathom",
    groupKey: "{}:{}",
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://am",
    alerts: [],
  });
  const auth = { authorization: `Bearer ${TOKENS.alertmanager}` };
  const cases: Array<[string, () => Promise<Response>, number, RegExp]> = [
    [
      "malformed JSON",
      () => post("/webhooks/alertmanager", "{nope", { ...auth, "content-type": "application/json" }),
      400,
      /not valid JSON/,
    ],
    [
      "a wrong content type",
      () => post("/webhooks/alertmanager", amGroup, { ...auth, "content-type": "text/html" }),
      415,
      /application\/json/,
    ],
    [
      "an oversized body",
      () =>
        post("/webhooks/alertmanager", `"${"x".repeat(2 * 1024 * 1024)}"`, {
          ...auth,
          "content-type": "application/json",
        }),
      413,
      /larger than/,
    ],
    [
      "missing auth",
      () => post("/webhooks/alertmanager", amGroup, { "content-type": "application/json" }),
      401,
      /missing Authorization/,
    ],
    [
      "a wrong token",
      () =>
        post("/webhooks/alertmanager", amGroup, {
          authorization: "Bearer not-the-token-at-all",
          "content-type": "application/json",
        }),
      401,
      /.+/,
    ],
    [
      "a wrong EventBridge key",
      () =>
        post("/webhooks/eventbridge", JSON.stringify(eventBridgeAlarmEvent("ALARM")), {
          "content-type": "application/json",
          "x-api-key": "wrong-key-wrong-key",
        }),
      401,
      /.+/,
    ],
    [
      "an unknown receiver",
      () => post("/webhooks/pagerduty", "{}", { "content-type": "application/json" }),
      404,
      /no such endpoint/,
    ],
    ["a GET on a receiver", () => fetch(`${serve.url}/webhooks/alertmanager`), 405, /takes POST/],
    [
      "a payload that is not Alertmanager v4",
      () =>
        post("/webhooks/alertmanager", JSON.stringify({ version: "3", alerts: "x" }), {
          ...auth,
          "content-type": "application/json",
        }),
      400,
      /.+/,
    ],
    [
      "a tampered SNS message",
      () =>
        post(
          "/webhooks/sns",
          snsBody({
            ...signSns(
              notification(JSON.stringify(cloudWatchAlarmMessage("ALARM")), { Timestamp: fresh() }),
              cert.privateKey,
            ),
            Message: JSON.stringify(cloudWatchAlarmMessage("OK")),
          }),
          { "content-type": "text/plain" },
        ),
      403,
      /signature/,
    ],
    [
      "a replayed old SNS message",
      () =>
        post(
          "/webhooks/sns",
          snsBody(
            signSns(
              notification(JSON.stringify(cloudWatchAlarmMessage("ALARM")), { Timestamp: "2026-11-20T09:00:00.000Z" }),
              cert.privateKey,
            ),
          ),
          { "content-type": "text/plain" },
        ),
      403,
      /replay/,
    ],
    [
      "an SNS certificate on a foreign host",
      () =>
        post(
          "/webhooks/sns",
          snsBody(
            signSns(
              notification(JSON.stringify(cloudWatchAlarmMessage("ALARM")), {
                Timestamp: fresh(),
                SigningCertURL: "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
              }),
              cert.privateKey,
            ),
          ),
          { "content-type": "text/plain" },
        ),
      403,
      /certificate/,
    ],
    [
      "an SNS certificate over http",
      () =>
        post(
          "/webhooks/sns",
          snsBody(
            signSns(
              notification(JSON.stringify(cloudWatchAlarmMessage("ALARM")), {
                Timestamp: fresh(),
                SigningCertURL: "http://sns.us-east-1.amazonaws.com/cert.pem",
              }),
              cert.privateKey,
            ),
          ),
          { "content-type": "text/plain" },
        ),
      403,
      /certificate/,
    ],
    [
      "an unknown SNS topic",
      () =>
        post(
          "/webhooks/sns",
          snsBody(
            signSns(
              notification(JSON.stringify(cloudWatchAlarmMessage("ALARM")), {
                Timestamp: fresh(),
                TopicArn: "arn:aws:sns:us-east-1:999999999999:other",
              }),
              cert.privateKey,
            ),
          ),
          { "content-type": "text/plain" },
        ),
      403,
      /topic/,
    ],
    ["a report without the API token", () => fetch(`${serve.url}/investigations/inv-x`), 401, /.+/],
  ];

  it.each(cases)("refuses %s", async (_what, request, status, message) => {
    const before = {
      alarms: serve.store.listAlarms({ limit: 1000 }).length,
      investigations: serve.store.listInvestigations().length,
    };
    const res = await request();
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
    expect(serve.store.listAlarms({ limit: 1000 }).length).toBe(before.alarms);
    expect(serve.store.listInvestigations().length).toBe(before.investigations);
    expect(serve.store.verifyAudit().ok).toBe(true);
  });
});
