import { z } from "zod";
import { describeIssues, toInstant, type Rejection } from "./normalized-alarm.ts";

/**
 * Amazon SNS HTTP(S) deliveries: the three message types, how a body is read, and the exact text
 * SNS signs for each type.
 */

export const SNS_MESSAGE_TYPES = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

/** The HTTP header SNS sets to the message type. */
export const SNS_MESSAGE_TYPE_HEADER = "x-amz-sns-message-type";
/** Bodies larger than this are refused before parsing (SNS messages are at most 256 KiB, plus envelope). */
export const DEFAULT_MAX_SNS_BODY_BYTES = 512 * 1024;

const TopicArn = z
  .string()
  .max(1024)
  .regex(
    /^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/,
    "expected an SNS topic ARN",
  );
const Base64 = z
  .string()
  .min(16)
  .max(4096)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "expected base64");
const Timestamp = z
  .string()
  .max(64)
  .refine((t) => toInstant(t) !== undefined, { message: "expected an ISO 8601 timestamp" });

const Common = {
  MessageId: z.string().min(1).max(128),
  TopicArn,
  Message: z.string().max(DEFAULT_MAX_SNS_BODY_BYTES),
  Timestamp,
  SignatureVersion: z.enum(["1", "2"], { message: "SignatureVersion must be 1 (RSA-SHA1) or 2 (RSA-SHA256)" }),
  Signature: Base64,
  SigningCertURL: z.string().min(1).max(2048),
};
const Confirmation = { ...Common, Token: z.string().min(1).max(4096), SubscribeURL: z.string().min(1).max(4096) };

export const SnsNotificationSchema = z.object({
  Type: z.literal("Notification"),
  ...Common,
  Subject: z.string().max(1024).nullish().describe("Signed only when present"),
  UnsubscribeURL: z.string().max(4096).optional(),
});
export const SnsSubscriptionConfirmationSchema = z.object({
  Type: z.literal("SubscriptionConfirmation"),
  ...Confirmation,
});
export const SnsUnsubscribeConfirmationSchema = z.object({
  Type: z.literal("UnsubscribeConfirmation"),
  ...Confirmation,
});

export const SnsMessageSchema = z
  .discriminatedUnion("Type", [
    SnsNotificationSchema,
    SnsSubscriptionConfirmationSchema,
    SnsUnsubscribeConfirmationSchema,
  ])
  .describe("An Amazon SNS HTTP(S) delivery");
export type SnsMessage = z.infer<typeof SnsMessageSchema>;
export type SnsNotification = z.infer<typeof SnsNotificationSchema>;

/** The fields SNS signs, in signing order. `Subject` only when present. */
const SIGNED_FIELDS: Record<SnsMessageType, readonly string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

/** The exact text SNS signs: `Name\nvalue\n` for each signed field, in order. */
export function stringToSign(message: SnsMessage): string {
  const fields = message as unknown as Record<string, unknown>;
  let out = "";
  for (const name of SIGNED_FIELDS[message.Type]) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    out += `${name}\n${String(value)}\n`;
  }
  return out;
}

/** SNS posts JSON as `text/plain; charset=UTF-8`; JSON content types are accepted too, nothing else. */
export function isSnsContentType(contentType: string | undefined): boolean {
  const type = (contentType?.split(";")[0] ?? "").trim().toLowerCase();
  return type === "text/plain" || type === "application/json";
}

export interface ParseSnsBodyOptions {
  maxBytes?: number;
  /** The `x-amz-sns-message-type` header, when the caller has it: it must agree with `Type`. */
  messageType?: string | undefined;
}

/** Reads an SNS delivery body (text, as SNS sends it) into a typed message, or says why not. */
export function parseSnsBody(
  body: string | Uint8Array,
  options: ParseSnsBodyOptions = {},
): { ok: true; message: SnsMessage } | Rejection {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SNS_BODY_BYTES;
  const size = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
  if (size > maxBytes) return { ok: false, reason: `the SNS body is ${size} bytes, more than the ${maxBytes} allowed` };
  if (size === 0) return { ok: false, reason: "the SNS body is empty" };
  let text: string;
  try {
    text = typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return { ok: false, reason: "the SNS body is not UTF-8 text" };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    return { ok: false, reason: "the SNS body is not JSON" };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return { ok: false, reason: "the SNS body is not a JSON object" };
  const type = (raw as { Type?: unknown }).Type;
  if (typeof type !== "string" || !(SNS_MESSAGE_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: `the SNS message Type must be one of ${SNS_MESSAGE_TYPES.join(", ")}` };
  }
  if (options.messageType !== undefined && options.messageType !== type) {
    return {
      ok: false,
      reason: `the ${SNS_MESSAGE_TYPE_HEADER} header says ${JSON.stringify(options.messageType.slice(0, 40))} but the body is a ${type}`,
    };
  }
  const parsed = SnsMessageSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `not a valid SNS ${type}: ${describeIssues(parsed.error)}` };
  return { ok: true, message: parsed.data };
}
