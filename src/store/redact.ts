import { redactDeep } from "../policy/redaction.ts";
import { StoreError } from "./errors.ts";

/**
 * Keys whose values are identifiers the store must keep verbatim, although their names look
 * secret to redactDeep (`clientToken` is SSM's idempotency UUID; losing it would let a restored
 * investigation start a second execution). Their values still pass free-text redaction.
 */
const IDENTIFIER_KEYS = new Set(["clientToken", "incidentKey"]);

/** redactDeep for everything the store writes, minus the identifier keys above. */
export function redactForStore<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // defineProperty: a "__proto__" key from parsed JSON stays data instead of becoming a prototype.
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, { value: walk(v, k), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (typeof value !== "string") return value;
  // Leaves go through redactDeep itself, with their key, so its naming rules apply unchanged.
  if (key === undefined || IDENTIFIER_KEYS.has(key)) return redactDeep(value);
  return redactDeep({ [key]: value })[key];
}

/** JSON text of a redacted value (undefined fields dropped, as JSON does). */
export function storedJson(value: unknown): string {
  return JSON.stringify(redactForStore(value));
}

/**
 * Ids are looked up verbatim, so they are checked rather than redacted: one that redaction would
 * change (it looks like a credential) is refused instead of being stored under another name.
 */
export function checkedId(kind: string, id: string): string {
  if (typeof id !== "string" || id.length === 0 || id.length > 256)
    throw new StoreError("invalid", `${kind} must be 1–256 characters`);
  if (redactDeep(id) !== id) throw new StoreError("invalid", `${kind} looks like a secret and is not stored`);
  return id;
}
