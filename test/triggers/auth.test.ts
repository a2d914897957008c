import { describe, expect, it } from "vitest";
import {
  checkBearer,
  checkHmacSignature,
  checkSharedSecret,
  constantTimeEqual,
  signBody,
} from "../../src/triggers/auth.ts";

const NOW = Date.parse("2026-11-24T10:00:00Z");
const TS = String(NOW / 1000);
const SECRET = "s3cret-signing-key-for-tests";
const BODY = '{"version":"4","status":"firing"}';

describe("checkBearer", () => {
  it("accepts a configured token, whatever the scheme's case", () => {
    expect(checkBearer("Bearer token-one", ["token-one"])).toEqual({ ok: true });
    expect(checkBearer("bearer token-one", ["token-one"])).toEqual({ ok: true });
  });

  it("accepts any of several tokens, so a token can be rotated", () => {
    expect(checkBearer("Bearer token-two", ["token-one", "token-two"])).toEqual({ ok: true });
  });

  it.each([
    [undefined, "missing Authorization"],
    ["", "missing Authorization"],
    ["Basic dXNlcjpwYXNz", "not a bearer token"],
    ["Bearer", "not a bearer token"],
    ["Bearer token one", "not a bearer token"],
    ["Bearer token-on", "not valid"],
    ["Bearer token-one-and-more", "not valid"],
    ["Bearer TOKEN-ONE", "not valid"],
  ])("refuses %j", (header, why) => {
    expect(checkBearer(header, ["token-one"])).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
  });

  it("refuses everything when no token is configured, rather than letting anyone in", () => {
    expect(checkBearer("Bearer ", [])).toMatchObject({
      ok: false,
      reason: expect.stringContaining("no bearer token is configured"),
    });
    expect(checkBearer("Bearer x", [""])).toMatchObject({
      ok: false,
      reason: expect.stringContaining("no bearer token is configured"),
    });
  });
});

describe("checkSharedSecret", () => {
  it("accepts the configured API key and refuses others", () => {
    expect(checkSharedSecret("key-1", ["key-1"])).toEqual({ ok: true });
    expect(checkSharedSecret("key-2", ["key-1"])).toMatchObject({ ok: false, reason: "the API key is not valid" });
    expect(checkSharedSecret(undefined, ["key-1"])).toMatchObject({ ok: false, reason: "missing API key" });
    expect(checkSharedSecret("key-1", [])).toMatchObject({ ok: false, reason: expect.stringContaining("configured") });
  });
});

describe("constantTimeEqual", () => {
  it("compares secrets of different lengths without throwing", () => {
    expect(constantTimeEqual("a", "a")).toBe(true);
    expect(constantTimeEqual("a", "ab")).toBe(false);
    expect(constantTimeEqual("", "x".repeat(10_000))).toBe(false);
    expect(constantTimeEqual(Buffer.from("same"), "same")).toBe(true);
  });
});

describe("checkHmacSignature", () => {
  const check = (over: Partial<Parameters<typeof checkHmacSignature>[0]> = {}) =>
    checkHmacSignature({
      body: BODY,
      signature: signBody(SECRET, TS, BODY),
      timestamp: TS,
      secrets: [SECRET],
      now: () => NOW,
      ...over,
    });

  it("accepts a body signed with the secret and a fresh timestamp", () => {
    expect(check()).toEqual({ ok: true });
    expect(check({ body: Buffer.from(BODY) })).toEqual({ ok: true });
    expect(check({ signature: signBody(SECRET, TS, BODY).toUpperCase().replace("SHA256=", "sha256=") })).toEqual({
      ok: true,
    });
  });

  it("signs sha256=<hex> over the timestamp and the raw body", () => {
    expect(signBody(SECRET, TS, BODY)).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signBody(SECRET, TS, BODY)).not.toBe(signBody(SECRET, String(Number(TS) + 1), BODY));
  });

  it("accepts either of two secrets during a rotation", () => {
    expect(check({ secrets: ["old-secret", SECRET] })).toEqual({ ok: true });
  });

  it.each([
    ["a tampered body", { body: BODY.replace("firing", "resolved") }, "does not match"],
    ["re-serialized JSON (not the raw body)", { body: JSON.stringify(JSON.parse(BODY), null, 2) }, "does not match"],
    ["another secret", { secrets: ["another-secret"] }, "does not match"],
    ["a moved timestamp, signature unchanged", { timestamp: String(Number(TS) + 60) }, "does not match"],
    [
      "an old timestamp",
      { timestamp: String(Number(TS) - 3600), signature: signBody(SECRET, String(Number(TS) - 3600), BODY) },
      "replay",
    ],
    [
      "a future timestamp",
      { timestamp: String(Number(TS) + 3600), signature: signBody(SECRET, String(Number(TS) + 3600), BODY) },
      "replay",
    ],
    [
      "a timestamp in milliseconds",
      { timestamp: String(NOW), signature: signBody(SECRET, String(NOW), BODY) },
      "unix seconds",
    ],
    ["a missing signature", { signature: undefined }, "missing x-fathom-signature"],
    ["a missing timestamp", { timestamp: undefined }, "missing x-fathom-timestamp"],
    [
      "a signature without its algorithm",
      { signature: signBody(SECRET, TS, BODY).slice("sha256=".length) },
      "sha256=<64 hex digits>",
    ],
    ["a sha1 signature", { signature: `sha1=${"0".repeat(40)}` }, "sha256=<64 hex digits>"],
    ["no configured secret", { secrets: [] }, "no signing secret"],
  ])("refuses %s", (_what, over, why) => {
    expect(check(over)).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
  });

  it("honours a narrower skew", () => {
    const ts = String(Number(TS) - 30);
    expect(check({ timestamp: ts, signature: signBody(SECRET, ts, BODY), maxSkewMs: 10_000 })).toMatchObject({
      ok: false,
    });
    expect(check({ timestamp: ts, signature: signBody(SECRET, ts, BODY), maxSkewMs: 60_000 })).toEqual({ ok: true });
  });
});
