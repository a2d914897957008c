import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  checkSigningCertUrl,
  checkSubscribeUrl,
  createCertificateCache,
  parseSnsBody,
  verifySnsMessage,
  type CertificateFetcher,
  type SnsVerifyOptions,
} from "../../src/triggers/sns.ts";
import { createSelfSignedCertificate, type TestCertificate } from "./helpers/self-signed-cert.ts";
import {
  CERT_URL,
  cloudWatchAlarmMessage,
  confirmation,
  notification,
  NOW,
  signSns,
  TOPIC_ARN,
} from "./helpers/payloads.ts";

let signer: TestCertificate;
let stranger: TestCertificate;

beforeAll(() => {
  signer = createSelfSignedCertificate({ commonName: "sns.amazonaws.com" });
  stranger = createSelfSignedCertificate({ commonName: "attacker.example" });
});

function setup(overrides: Partial<SnsVerifyOptions> = {}) {
  const fetcher = vi.fn<CertificateFetcher>(async (url) => {
    if (url === CERT_URL) return signer.pem;
    throw new Error(`no certificate at ${url}`);
  });
  const options: SnsVerifyOptions = {
    fetchCertificate: createCertificateCache(fetcher),
    allowedTopicArns: [TOPIC_ARN],
    now: () => NOW,
    ...overrides,
  };
  return { fetcher, options };
}

const alarmJson = JSON.stringify(cloudWatchAlarmMessage());

describe("verifySnsMessage accepts what SNS signed", () => {
  it.each(["1", "2"] as const)("verifies a Notification signed with SignatureVersion %s", async (version) => {
    const { options } = setup();
    const result = await verifySnsMessage(signSns(notification(alarmJson), signer.privateKey, version), options);
    expect(result).toMatchObject({ ok: true, message: { Type: "Notification", Message: alarmJson } });
  });

  it.each(["1", "2"] as const)(
    "verifies a Notification without a Subject (version %s): Subject is signed only when present",
    async (version) => {
      const { options } = setup();
      const unsigned = notification(alarmJson, { Subject: undefined });
      delete unsigned["Subject"];
      expect((await verifySnsMessage(signSns(unsigned, signer.privateKey, version), options)).ok).toBe(true);
    },
  );

  it("verifies a Notification whose Message holds newlines, quotes and non-ASCII text exactly as sent", async () => {
    const { options } = setup();
    const message = 'line one\nline "two"\ttabbed — naïve ☃';
    const body = JSON.stringify(signSns(notification(message), signer.privateKey, "2"));
    const parsed = parseSnsBody(body);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(await verifySnsMessage(parsed.message, options)).toMatchObject({ ok: true, message: { Message: message } });
  });

  it.each(["1", "2"] as const)(
    "verifies a SubscriptionConfirmation (version %s) and hands back the checked SubscribeURL",
    async (version) => {
      const { options } = setup();
      const message = signSns(confirmation("SubscriptionConfirmation"), signer.privateKey, version);
      const result = await verifySnsMessage(message, options);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.subscribeUrl).toBe(new URL(message["SubscribeURL"] as string).href);
      expect(new URL(result.subscribeUrl as string).searchParams.get("Action")).toBe("ConfirmSubscription");
    },
  );

  it.each(["1", "2"] as const)(
    "verifies an UnsubscribeConfirmation (version %s) and offers nothing to GET",
    async (version) => {
      const { options } = setup();
      const result = await verifySnsMessage(
        signSns(confirmation("UnsubscribeConfirmation"), signer.privateKey, version),
        options,
      );
      expect(result).toMatchObject({ ok: true, message: { Type: "UnsubscribeConfirmation" } });
      expect(result.ok && result.subscribeUrl).toBeFalsy();
    },
  );

  it("takes the certificate as PEM text or as a parsed certificate", async () => {
    const message = signSns(notification(alarmJson), signer.privateKey, "2");
    expect((await verifySnsMessage(message, setup({ fetchCertificate: async () => signer.pem }).options)).ok).toBe(
      true,
    );
    expect(
      (await verifySnsMessage(message, setup({ fetchCertificate: async () => signer.certificate }).options)).ok,
    ).toBe(true);
  });
});

describe("verifySnsMessage refuses, with a reason", () => {
  it("refuses a tampered Message", async () => {
    const { options } = setup();
    const signed = signSns(notification(alarmJson), signer.privateKey, "2");
    const tampered = { ...signed, Message: alarmJson.replace('"ALARM"', '"OK"') };
    expect(await verifySnsMessage(tampered, options)).toMatchObject({
      ok: false,
      code: "signature",
      reason: expect.stringContaining("signature"),
    });
  });

  it.each(["Subject", "MessageId", "Timestamp", "Type"])(
    "refuses a message whose signed %s was changed",
    async (field) => {
      const { options } = setup({ now: () => NOW });
      const signed = signSns(confirmation("SubscriptionConfirmation"), signer.privateKey, "1");
      const base = field === "Subject" ? signSns(notification(alarmJson), signer.privateKey, "1") : signed;
      const changed: Record<string, unknown> = { ...base };
      if (field === "Type") changed["Type"] = "UnsubscribeConfirmation";
      else if (field === "Timestamp") changed["Timestamp"] = "2026-11-24T09:59:01.000Z";
      else changed[field] = `${String(changed[field])}x`;
      expect(await verifySnsMessage(changed, options)).toMatchObject({ ok: false, code: "signature" });
    },
  );

  it("refuses a signature made by another key, even from the allowed certificate URL", async () => {
    const { options } = setup();
    const forged = signSns(notification(alarmJson), stranger.privateKey, "2");
    expect(await verifySnsMessage(forged, options)).toMatchObject({ ok: false, code: "signature" });
  });

  it("refuses a version-1 signature relabelled as version 2", async () => {
    const { options } = setup();
    const signed = signSns(notification(alarmJson), signer.privateKey, "1");
    expect(await verifySnsMessage({ ...signed, SignatureVersion: "2" }, options)).toMatchObject({
      ok: false,
      code: "signature",
    });
  });

  it.each(["3", "0", "", 1, null])("refuses SignatureVersion %j", async (version) => {
    const { options, fetcher } = setup();
    const signed = { ...signSns(notification(alarmJson), signer.privateKey, "1"), SignatureVersion: version };
    const result = await verifySnsMessage(signed, options);
    expect(result).toMatchObject({ ok: false, code: "malformed", reason: expect.stringContaining("SignatureVersion") });
    expect(fetcher).not.toHaveBeenCalled();
  });

  it.each(["Message", "MessageId", "Timestamp", "TopicArn", "Type", "Signature", "SignatureVersion", "SigningCertURL"])(
    "refuses a Notification missing %s",
    async (field) => {
      const { options } = setup();
      const signed: Record<string, unknown> = { ...signSns(notification(alarmJson), signer.privateKey, "2") };
      delete signed[field];
      expect(await verifySnsMessage(signed, options)).toMatchObject({ ok: false, code: "malformed" });
    },
  );

  it.each(["Token", "SubscribeURL"])("refuses a SubscriptionConfirmation missing %s", async (field) => {
    const { options } = setup();
    const signed: Record<string, unknown> = {
      ...signSns(confirmation("SubscriptionConfirmation"), signer.privateKey, "2"),
    };
    delete signed[field];
    expect(await verifySnsMessage(signed, options)).toMatchObject({
      ok: false,
      code: "malformed",
      reason: expect.stringContaining(field),
    });
  });

  it("refuses an unknown topic before fetching any certificate", async () => {
    const { options, fetcher } = setup();
    const other = signSns(
      notification(alarmJson, { TopicArn: "arn:aws:sns:us-east-1:999999999999:someone-else" }),
      signer.privateKey,
      "2",
    );
    expect(await verifySnsMessage(other, options)).toMatchObject({
      ok: false,
      code: "topic",
      reason: expect.stringContaining("999999999999:someone-else"),
    });
    expect(fetcher).not.toHaveBeenCalled();
  });

  it("refuses a SubscriptionConfirmation for an unknown topic, so nobody confirms it", async () => {
    const { options } = setup();
    const topic = "arn:aws:sns:us-east-1:999999999999:someone-else";
    const message = signSns(
      confirmation("SubscriptionConfirmation", {
        TopicArn: topic,
        SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=t`,
      }),
      signer.privateKey,
      "2",
    );
    expect(await verifySnsMessage(message, options)).toMatchObject({ ok: false, code: "topic" });
  });

  it("refuses an old timestamp as a replay, and accepts the same message while it is fresh", async () => {
    const message = signSns(notification(alarmJson), signer.privateKey, "2"); // sent 09:45:13
    expect((await verifySnsMessage(message, setup({ now: () => NOW }).options)).ok).toBe(true);
    const later = setup({ now: () => Date.parse("2026-11-24T10:45:14Z") });
    expect(await verifySnsMessage(message, later.options)).toMatchObject({
      ok: false,
      code: "replay",
      reason: expect.stringContaining("replay"),
    });
    expect(later.fetcher).not.toHaveBeenCalled();
    const strict = setup({ now: () => NOW, maxAgeMs: 60_000 });
    expect(await verifySnsMessage(message, strict.options)).toMatchObject({ ok: false, code: "replay" });
  });

  it("refuses a timestamp far in the future", async () => {
    const message = signSns(notification(alarmJson, { Timestamp: "2026-11-24T11:00:00.000Z" }), signer.privateKey, "2");
    expect(await verifySnsMessage(message, setup().options)).toMatchObject({
      ok: false,
      code: "replay",
      reason: expect.stringContaining("future"),
    });
  });

  it.each([
    ["http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem", "https"],
    ["https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-x.pem", "not an Amazon SNS host"],
    ["https://evil.com/sns.us-east-1.amazonaws.com/x.pem", "not an Amazon SNS host"],
    ["https://sns.us-east-1.amazonaws.com@evil.com/x.pem", "user information"],
    ["https://user:pass@sns.us-east-1.amazonaws.com/x.pem", "user information"],
    ["https://sns.us-east-1.amazonaws.com:8443/x.pem", "port"],
    ["https://sns.us-east-1.amazonaws.com%2eevil.com/x.pem", "not an Amazon SNS host"],
    ["https://sns.us-east-1.amazonaws.com./x.pem", "not an Amazon SNS host"],
    ["https://xsns.us-east-1.amazonaws.com/x.pem", "not an Amazon SNS host"],
    ["https://sns.amazonaws.com/x.pem", "not an Amazon SNS host"],
    ["https://sns.us-east-1.amazonaws.com.cn/x.pem", "not an Amazon SNS host"],
    ["https://s3.us-east-1.amazonaws.com/x.pem", "not an Amazon SNS host"],
    ["https://sns.us-east-1.amazonaws.com\\@evil.com/x.pem", "characters"],
    ["https://sns.us-east-1.amazonaws.com/x.pem\n", "characters"],
    ["https://sns.us-east-1.amazonaws.com/x.txt", ".pem"],
    ["https://sns.us-east-1.amazonaws.com/a/b/x.pem", ".pem"],
    ["https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://evil.com/x.pem", "query"],
    ["https://sns.us-east-1.amazonaws.com/x.pem#frag", "query or fragment"],
    ["file:///etc/ssl/x.pem", "https"],
    ["//sns.us-east-1.amazonaws.com/x.pem", "not a URL"],
  ])("refuses the certificate URL %j", async (url, why) => {
    expect(checkSigningCertUrl(url)).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
    const { options, fetcher } = setup();
    const message = signSns(notification(alarmJson, { SigningCertURL: url }), signer.privateKey, "2");
    expect(await verifySnsMessage(message, options)).toMatchObject({ ok: false, code: "certificate-url" });
    expect(fetcher).not.toHaveBeenCalled();
  });

  it.each([
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
    "https://sns.eu-central-2.amazonaws.com/SimpleNotificationService-x.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-x.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem",
    "https://SNS.US-EAST-1.AMAZONAWS.COM/SimpleNotificationService-x.pem",
    "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-x.pem",
  ])("accepts the certificate URL %j", (url) => {
    expect(checkSigningCertUrl(url).ok).toBe(true);
  });

  it.each([
    ["http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=TOPIC&Token=t", "https"],
    [
      "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription&TopicArn=TOPIC&Token=t",
      "not an Amazon SNS host",
    ],
    ["https://evil.com/?Action=ConfirmSubscription&TopicArn=TOPIC&Token=t", "not an Amazon SNS host"],
    ["https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=TOPIC&Token=t", "region"],
    ["https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&TopicArn=TOPIC&Token=t", "ConfirmSubscription"],
    [
      "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:999999999999:x&Token=t",
      "different topic",
    ],
    ["https://sns.us-east-1.amazonaws.com/redirect?Action=ConfirmSubscription&TopicArn=TOPIC&Token=t", "root"],
  ])("refuses the SubscribeURL %j", async (template, why) => {
    const url = template.replace("TOPIC", TOPIC_ARN);
    expect(checkSubscribeUrl(url, TOPIC_ARN)).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
    const { options, fetcher } = setup();
    const message = signSns(confirmation("SubscriptionConfirmation", { SubscribeURL: url }), signer.privateKey, "2");
    expect(await verifySnsMessage(message, options)).toMatchObject({ ok: false, code: "subscribe-url" });
    expect(fetcher).not.toHaveBeenCalled();
  });

  it("refuses when the certificate cannot be fetched, and says so", async () => {
    const { options } = setup({ fetchCertificate: async () => Promise.reject(new Error("connect ECONNREFUSED")) });
    expect(await verifySnsMessage(signSns(notification(alarmJson), signer.privateKey, "2"), options)).toMatchObject({
      ok: false,
      code: "certificate",
      reason: expect.stringContaining("ECONNREFUSED"),
    });
  });

  it("refuses when the fetched text is not a certificate", async () => {
    const { options } = setup({ fetchCertificate: async () => "<html>not a certificate</html>" });
    expect(await verifySnsMessage(signSns(notification(alarmJson), signer.privateKey, "2"), options)).toMatchObject({
      ok: false,
      code: "certificate",
    });
  });

  it("refuses a signing certificate that has expired", async () => {
    const expired = createSelfSignedCertificate({
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2025-01-01T00:00:00Z"),
    });
    const { options } = setup({ fetchCertificate: async () => expired.pem });
    const message = signSns(notification(alarmJson), expired.privateKey, "2");
    expect(await verifySnsMessage(message, options)).toMatchObject({
      ok: false,
      code: "certificate",
      reason: expect.stringContaining("not valid now"),
    });
  });

  it.each([null, "text", 42, [], {}, { Type: "Notification" }])("refuses %j as malformed", async (input) => {
    const { options, fetcher } = setup();
    expect(await verifySnsMessage(input, options)).toMatchObject({ ok: false, code: "malformed" });
    expect(fetcher).not.toHaveBeenCalled();
  });
});

describe("createCertificateCache", () => {
  it("fetches a certificate URL once for many messages", async () => {
    const { options, fetcher } = setup();
    for (const version of ["1", "2", "1", "2"] as const) {
      expect((await verifySnsMessage(signSns(notification(alarmJson), signer.privateKey, version), options)).ok).toBe(
        true,
      );
    }
    expect(fetcher).toHaveBeenCalledTimes(1);
    expect(fetcher).toHaveBeenCalledWith(CERT_URL);
  });

  it("shares one fetch between concurrent messages", async () => {
    const { options, fetcher } = setup();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        verifySnsMessage(signSns(notification(alarmJson), signer.privateKey, "2"), options),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it("does not remember a failed fetch", async () => {
    let calls = 0;
    const cache = createCertificateCache(async () => {
      calls += 1;
      if (calls === 1) throw new Error("timeout");
      return signer.pem;
    });
    await expect(cache(CERT_URL)).rejects.toThrow("timeout");
    await expect(cache(CERT_URL)).resolves.toMatchObject({ subject: "CN=sns.amazonaws.com" });
    await cache(CERT_URL);
    expect(calls).toBe(2);
  });

  it("keeps a bounded number of certificates", async () => {
    const fetcher = vi.fn(async () => signer.pem);
    const cache = createCertificateCache(fetcher, { maxEntries: 2 });
    for (const n of [1, 2, 3, 1]) await cache(`https://sns.us-east-1.amazonaws.com/c${n}.pem`);
    expect(fetcher).toHaveBeenCalledTimes(4); // c1 was evicted by c3
  });
});

describe("parseSnsBody", () => {
  const body = () => JSON.stringify(signSns(notification(alarmJson), signer.privateKey, "2"));

  it("reads the JSON SNS sends as text/plain, from a string or from bytes", () => {
    expect(parseSnsBody(body())).toMatchObject({ ok: true, message: { Type: "Notification" } });
    expect(parseSnsBody(new TextEncoder().encode(body()))).toMatchObject({ ok: true });
    expect(parseSnsBody(`\uFEFF${body()}`)).toMatchObject({ ok: true });
  });

  it("checks the message type header against the body", () => {
    expect(parseSnsBody(body(), { messageType: "Notification" }).ok).toBe(true);
    expect(parseSnsBody(body(), { messageType: "SubscriptionConfirmation" })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("x-amz-sns-message-type"),
    });
  });

  it.each([
    ["an empty body", "", "empty"],
    ["malformed JSON", '{"Type": "Notification",', "not JSON"],
    ["a JSON array", "[]", "not a JSON object"],
    ["JSON null", "null", "not a JSON object"],
    ["an unknown Type", '{"Type":"Surprise"}', "Type must be one of"],
    [
      "a number where a string belongs",
      JSON.stringify({ ...JSON.parse('{"Type":"Notification"}'), MessageId: 5 }),
      "MessageId",
    ],
    [
      "a TopicArn that is not one",
      JSON.stringify({ Type: "Notification", TopicArn: "arn:aws:s3:::bucket" }),
      "TopicArn",
    ],
  ])("refuses %s", (_what, text, why) => {
    expect(parseSnsBody(text)).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
  });

  it("refuses an oversized body before parsing it", () => {
    expect(parseSnsBody("x".repeat(600 * 1024))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("more than"),
    });
    expect(parseSnsBody(body(), { maxBytes: 100 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("more than the 100 allowed"),
    });
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(parseSnsBody(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("UTF-8"),
    });
  });
});
