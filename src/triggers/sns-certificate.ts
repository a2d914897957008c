import { X509Certificate } from "node:crypto";
import type { Rejection } from "./normalized-alarm.ts";

/**
 * Where SNS signing certificates and subscribe links may point, and the certificate cache. The URL
 * rules are the trust anchor: a certificate is only ever fetched from an https SNS regional host.
 */

// sns.<region>.amazonaws.com, or sns.cn-<…>.amazonaws.com.cn in the China partition.
const SNS_HOST = /^sns\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(\.cn)?$/;
const CERT_PATH = /^\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,250}\.pem$/;
// Nothing a URL parser might read differently from us: whitespace, controls, backslashes.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const UNSAFE_URL_TEXT = /[\s\\\u0000-\u001f\u007f]/;

interface SnsUrl {
  url: URL;
  region: string;
}

function parseSnsUrl(raw: string, what: string): { ok: true; value: SnsUrl } | Rejection {
  if (raw.length > 4096 || UNSAFE_URL_TEXT.test(raw))
    return { ok: false, reason: `${what} contains characters a URL must not` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `${what} is not a URL` };
  }
  if (url.protocol !== "https:")
    return { ok: false, reason: `${what} must use https, not ${url.protocol.replace(/:$/, "")}` };
  if (url.username !== "" || url.password !== "")
    return { ok: false, reason: `${what} must not carry user information` };
  if (url.port !== "") return { ok: false, reason: `${what} must not name a port` };
  const host = SNS_HOST.exec(url.hostname);
  if (!host || (host[2] !== undefined) !== (host[1] as string).startsWith("cn-")) {
    return {
      ok: false,
      reason: `${what} host ${url.hostname.slice(0, 100)} is not an Amazon SNS host (sns.<region>.amazonaws.com)`,
    };
  }
  return { ok: true, value: { url, region: host[1] as string } };
}

/** Checks a SigningCertURL; on success gives the normalized URL to fetch. */
export function checkSigningCertUrl(raw: string): { ok: true; url: string } | Rejection {
  const parsed = parseSnsUrl(raw, "SigningCertURL");
  if (!parsed.ok) return parsed;
  const { url } = parsed.value;
  if (url.search !== "" || url.hash !== "")
    return { ok: false, reason: "SigningCertURL must not carry a query or fragment" };
  if (!CERT_PATH.test(url.pathname))
    return { ok: false, reason: "SigningCertURL must name a .pem file at the root of the SNS host" };
  return { ok: true, url: url.href };
}

/**
 * Checks the SubscribeURL of a (Un)SubscriptionConfirmation: an https SNS endpoint in the topic's
 * region whose ConfirmSubscription action names the same topic. Only then may anyone GET it.
 */
export function checkSubscribeUrl(raw: string, topicArn: string): { ok: true; url: string } | Rejection {
  const parsed = parseSnsUrl(raw, "SubscribeURL");
  if (!parsed.ok) return parsed;
  const { url, region } = parsed.value;
  const topicRegion = topicArn.split(":")[3];
  if (region !== topicRegion)
    return { ok: false, reason: `SubscribeURL is in region ${region}, the topic in ${topicRegion ?? "none"}` };
  if (url.pathname !== "/" || url.hash !== "")
    return { ok: false, reason: "SubscribeURL must be the SNS endpoint's root with a query" };
  if (url.searchParams.get("Action") !== "ConfirmSubscription")
    return { ok: false, reason: "SubscribeURL must call Action=ConfirmSubscription" };
  if (url.searchParams.get("TopicArn") !== topicArn)
    return { ok: false, reason: "SubscribeURL confirms a different topic than the message's TopicArn" };
  return { ok: true, url: url.href };
}

/** Gets the PEM text at a (checked) certificate URL; the composition root makes the HTTPS call. */
export type CertificateFetcher = (url: string) => Promise<string>;
/** What verification asks for a certificate: PEM text or a parsed certificate. */
export type CertificateSource = (url: string) => Promise<X509Certificate | string>;

const MAX_PEM_BYTES = 64 * 1024;

/**
 * Wraps a fetcher so each certificate URL is fetched and parsed once. Concurrent requests share one
 * fetch; failures are not cached (the next message tries again); at most `maxEntries` certificates
 * are kept, oldest out first.
 */
export function createCertificateCache(
  fetcher: CertificateFetcher,
  options: { maxEntries?: number } = {},
): CertificateSource {
  const maxEntries = options.maxEntries ?? 16;
  const entries = new Map<string, Promise<X509Certificate>>();
  return (url: string) => {
    const cached = entries.get(url);
    if (cached) return cached;
    const pending = fetcher(url).then((pem) => {
      if (Buffer.byteLength(pem, "utf8") > MAX_PEM_BYTES)
        throw new Error(`the certificate is larger than ${MAX_PEM_BYTES} bytes`);
      return new X509Certificate(pem);
    });
    entries.set(url, pending);
    pending.catch(() => {
      if (entries.get(url) === pending) entries.delete(url);
    });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    return pending;
  };
}
