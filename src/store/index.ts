export { openStore, type OpenStoreOptions } from "./open-store.ts";
export { StoreError, type StoreErrorCode } from "./errors.ts";
export { defaultStorePath } from "./store-path.ts";
export { AUDIT_GENESIS, auditHash } from "./audit.ts";
export { SCHEMA_VERSION } from "./schema.ts";
export * from "./types.ts";
