/**
 * Why the store refused: the file is not SQLite, not fathom's, corrupt, from a newer fathom,
 * missing; or a write that would break an invariant (execution without approval, unknown row).
 */
export type StoreErrorCode =
  "not-sqlite" | "not-a-store" | "corrupt" | "newer-schema" | "missing" | "invalid" | "not-found" | "not-approved";

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
  }
}
