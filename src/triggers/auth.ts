import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook authentication as pure predicates: bearer tokens / API keys and HMAC-SHA256 body
 * signatures. Secrets are compared in constant time: both sides are hashed first, so lengths never
 * differ and `timingSafeEqual` never throws or short-cuts on a length mismatch.
 */

/** `X-Fathom-Signature: sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<raw body>`. */
export const SIGNATURE_HEADER = "x-fathom-signature";
/** `X-Fathom-Timestamp: <unix seconds>`: signed with the body, so an old request cannot be re-sent. */
export const TIMESTAMP_HEADER = "x-fathom-timestamp";
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export type AuthResult = { ok: true } | { ok: false; reason: string };

/** Constant-time equality of two secrets of any length. */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

// Compares against every configured secret, never stopping at the first match.
function matchesAny(presented: string, secrets: readonly string[]): boolean {
  let match = false;
  for (const secret of secrets) match = constantTimeEqual(presented, secret) || match;
  return match;
}

function usable(secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length > 0);
}

/** Checks `Authorization: Bearer <token>` against the configured tokens (several allow rotation). */
export function checkBearer(authorization: string | undefined, tokens: readonly string[]): AuthResult {
  const configured = usable(tokens);
  if (configured.length === 0) return { ok: false, reason: "no bearer token is configured for this receiver" };
  if (authorization === undefined || authorization === "") return { ok: false, reason: "missing Authorization header" };
  const m = /^Bearer +([^\s]{1,4096})$/i.exec(authorization.trim());
  if (!m) return { ok: false, reason: "the Authorization header is not a bearer token" };
  return matchesAny(m[1] as string, configured) ? { ok: true } : { ok: false, reason: "the bearer token is not valid" };
}

/** Checks a shared secret sent in a header of its own (EventBridge API destinations' API key). */
export function checkSharedSecret(
  presented: string | undefined,
  secrets: readonly string[],
  what = "API key",
): AuthResult {
  const configured = usable(secrets);
  if (configured.length === 0) return { ok: false, reason: `no ${what} is configured for this receiver` };
  if (presented === undefined || presented === "") return { ok: false, reason: `missing ${what}` };
  if (presented.length > 4096) return { ok: false, reason: `the ${what} is not valid` };
  return matchesAny(presented, configured) ? { ok: true } : { ok: false, reason: `the ${what} is not valid` };
}

/** The signature header value a sender computes: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function signBody(secret: string, timestamp: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")}`;
}

export interface HmacCheck {
  /** The raw body bytes exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  signature: string | undefined;
  timestamp: string | undefined;
  /** Configured secrets (several allow rotation). */
  secrets: readonly string[];
  now?: () => number;
  maxSkewMs?: number;
}

/**
 * Checks an HMAC-signed request. The timestamp must be within `maxSkewMs` of now; inside that window
 * a re-sent request still verifies, and the incident key is what makes it harmless.
 */
export function checkHmacSignature(check: HmacCheck): AuthResult {
  const configured = usable(check.secrets);
  if (configured.length === 0) return { ok: false, reason: "no signing secret is configured for this receiver" };
  if (!check.signature) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  if (!check.timestamp) return { ok: false, reason: `missing ${TIMESTAMP_HEADER} header` };
  if (!/^\d{1,12}$/.test(check.timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} must be unix seconds` };
  const skew = Math.abs((check.now ?? Date.now)() - Number(check.timestamp) * 1000);
  const maxSkew = check.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (skew > maxSkew)
    return {
      ok: false,
      reason: `${TIMESTAMP_HEADER} is ${Math.round(skew / 1000)} s away from now (at most ${Math.round(maxSkew / 1000)} s): refused as a replay`,
    };
  const presented = check.signature.trim();
  if (!/^sha256=[0-9a-fA-F]{64}$/.test(presented))
    return { ok: false, reason: `${SIGNATURE_HEADER} must be sha256=<64 hex digits>` };
  let match = false;
  for (const secret of configured)
    match = constantTimeEqual(presented.toLowerCase(), signBody(secret, check.timestamp, check.body)) || match;
  return match ? { ok: true } : { ok: false, reason: "the signature does not match the body" };
}
