import { createVerify, X509Certificate } from "node:crypto";
import { redactText } from "../policy/redaction.ts";
import { describeIssues, toInstant } from "./normalized-alarm.ts";
import { checkSigningCertUrl, checkSubscribeUrl, type CertificateSource } from "./sns-certificate.ts";
import { SnsMessageSchema, stringToSign, type SnsMessage } from "./sns-message.ts";

/**
 * Verifies an Amazon SNS delivery. Every check that needs no network runs first (shape, topic,
 * freshness, certificate and subscribe URLs); only then is the signing certificate fetched, through
 * the injected source, and the signature checked over the exact string SNS signed.
 */

export {
  parseSnsBody,
  isSnsContentType,
  stringToSign,
  SNS_MESSAGE_TYPE_HEADER,
  type SnsMessage,
} from "./sns-message.ts";
export {
  createCertificateCache,
  checkSigningCertUrl,
  checkSubscribeUrl,
  type CertificateFetcher,
  type CertificateSource,
} from "./sns-certificate.ts";
export { parseCloudWatchAlarm } from "./cloudwatch-alarm.ts";

/** One hour: SNS retries for longer, but a delivery older than this is treated as a replay. */
export const DEFAULT_SNS_MAX_AGE_MS = 3_600_000;
/** Clock skew tolerated for timestamps ahead of ours. */
export const DEFAULT_SNS_MAX_FUTURE_MS = 5 * 60_000;

export interface SnsVerifyOptions {
  /** Gets the signing certificate for a URL that passed the checks; wrap a fetcher in createCertificateCache. */
  fetchCertificate: CertificateSource;
  /** Exact topic ARNs this endpoint accepts; any other topic is refused. */
  allowedTopicArns: readonly string[];
  now?: () => number;
  maxAgeMs?: number;
  maxFutureMs?: number;
}

/** Why a message was refused, for metrics; `reason` says it in words. */
export type SnsRejectionCode =
  "malformed" | "topic" | "replay" | "certificate-url" | "subscribe-url" | "certificate" | "signature";

export type SnsVerification =
  | {
      ok: true;
      message: SnsMessage;
      /** For a SubscriptionConfirmation: the checked URL to GET to confirm. */
      subscribeUrl?: string;
    }
  | { ok: false; code: SnsRejectionCode; reason: string };

/** Verifies an SNS message (typed by parseSnsBody, or any decoded JSON). Never throws. */
export async function verifySnsMessage(input: unknown, options: SnsVerifyOptions): Promise<SnsVerification> {
  const parsed = SnsMessageSchema.safeParse(input);
  if (!parsed.success) return reject("malformed", `not a valid SNS message: ${describeIssues(parsed.error)}`);
  const message = parsed.data;

  if (!options.allowedTopicArns.includes(message.TopicArn))
    return reject("topic", `topic ${message.TopicArn} is not one this endpoint accepts`);

  const now = (options.now ?? Date.now)();
  const sent = Date.parse(toInstant(message.Timestamp) as string);
  const maxAge = options.maxAgeMs ?? DEFAULT_SNS_MAX_AGE_MS;
  if (now - sent > maxAge)
    return reject(
      "replay",
      `the message was sent at ${message.Timestamp}, more than ${Math.round(maxAge / 1000)} s ago: refused as a replay`,
    );
  if (sent - now > (options.maxFutureMs ?? DEFAULT_SNS_MAX_FUTURE_MS))
    return reject("replay", `the message timestamp ${message.Timestamp} is in the future`);

  const certUrl = checkSigningCertUrl(message.SigningCertURL);
  if (!certUrl.ok) return reject("certificate-url", certUrl.reason);

  let subscribeUrl: string | undefined;
  if (message.Type !== "Notification") {
    const checked = checkSubscribeUrl(message.SubscribeURL, message.TopicArn);
    if (!checked.ok) return reject("subscribe-url", checked.reason);
    if (message.Type === "SubscriptionConfirmation") subscribeUrl = checked.url;
  }

  let certificate: X509Certificate;
  try {
    const got = await options.fetchCertificate(certUrl.url);
    certificate = typeof got === "string" ? new X509Certificate(got) : got;
  } catch (error) {
    return reject(
      "certificate",
      `could not get the signing certificate ${certUrl.url}: ${(error as Error).message ?? String(error)}`,
    );
  }
  const validFrom = Date.parse(certificate.validFrom);
  const validTo = Date.parse(certificate.validTo);
  if (!(now >= validFrom && now <= validTo))
    return reject(
      "certificate",
      `the signing certificate is not valid now (valid ${certificate.validFrom} to ${certificate.validTo})`,
    );
  if (certificate.publicKey.asymmetricKeyType !== "rsa")
    return reject("certificate", "the signing certificate does not hold an RSA key");

  let valid = false;
  try {
    const verifier = createVerify(message.SignatureVersion === "1" ? "RSA-SHA1" : "RSA-SHA256");
    verifier.update(stringToSign(message), "utf8");
    valid = verifier.verify(certificate.publicKey, message.Signature, "base64");
  } catch {
    valid = false;
  }
  if (!valid)
    return reject(
      "signature",
      `the signature (version ${message.SignatureVersion}) does not match the message and the certificate`,
    );
  return subscribeUrl === undefined ? { ok: true, message } : { ok: true, message, subscribeUrl };
}

function reject(code: SnsRejectionCode, reason: string): SnsVerification {
  return { ok: false, code, reason: redactText(reason) };
}
