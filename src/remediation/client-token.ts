import { createHash } from "node:crypto";

/** fathom's own UUIDv5 namespace for SSM client tokens; changing it would break idempotency across versions. */
export const FATHOM_CLIENT_TOKEN_NAMESPACE = "c5c57851-341c-41ed-bfd0-3452eb299094";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An RFC 4122 version 5 (SHA-1, name-based) UUID of `name` under `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  if (!UUID.test(namespace)) throw new TypeError(`namespace is not a UUID: ${namespace}`);
  const bytes = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The `ClientToken` for StartAutomationExecution. SSM tokens are UUIDs that can never start a
 * second execution, so the token is derived from the plan *and* the approval: a retry, or a
 * restored investigation re-running the same approved start, sends the same token and gets the
 * same execution back, while a new approval of the same plan gets a new token and may run again.
 */
export function clientTokenFor(planHash: string, approvalId: string): string {
  if (planHash === "" || approvalId === "") throw new TypeError("clientTokenFor needs a plan hash and an approval id");
  // JSON keeps the two parts unambiguous whatever characters they contain.
  return uuidV5(JSON.stringify([planHash, approvalId]), FATHOM_CLIENT_TOKEN_NAMESPACE);
}
