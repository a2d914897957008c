import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { silentLogger, type Logger } from "../logger.ts";
import * as audit from "./audit.ts";
import { createContext } from "./context.ts";
import { StoreError } from "./errors.ts";
import * as executions from "./executions.ts";
import * as incidents from "./incidents.ts";
import * as investigations from "./investigations.ts";
import * as proposals from "./proposals.ts";
import { APPLICATION_ID, migrate, newerSchema, readPragmaNumber, SCHEMA_VERSION } from "./schema.ts";
import { systemClock, type Clock, type Store } from "./types.ts";

export interface OpenStoreOptions {
  clock?: Clock;
  logger?: Logger;
  /** Refuse to create the file (read commands: list, show, audit verify). */
  mustExist?: boolean;
  /** How long a writer waits for another process's write lock. */
  busyTimeoutMs?: number;
}

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (or creates) fathom's SQLite store. `:memory:` is for tests. A file that is not SQLite,
 * is another application's database, is corrupt, or was written by a newer fathom is refused
 * before anything is written to it.
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const logger = options.logger ?? silentLogger();
  const clock = options.clock ?? systemClock;
  const memory = path === ":memory:";
  const file = memory ? path : resolve(path);
  const created = memory ? false : checkFile(file, options.mustExist === true);

  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, {
      timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      enableForeignKeyConstraints: true,
    });
  } catch (error) {
    throw new StoreError("invalid", `cannot open store ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const timeout = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    retryBusy(timeout, () => inspect(db, file));
    if (!memory) retryBusy(timeout, () => enableWal(db));
    db.exec("PRAGMA synchronous = FULL");
    if (created) chmodSync(file, 0o600);
    retryBusy(timeout, () => migrate(db, file, logger));
  } catch (error) {
    db.close();
    throw error;
  }
  logger.debug({ store: file, schemaVersion: SCHEMA_VERSION }, "store opened");
  return createStore(db, file, clock, logger);
}

/**
 * Runs an opening step again while SQLite says SQLITE_BUSY, up to the busy timeout. Needed when
 * several processes open one new file at once: switching to WAL takes an exclusive lock, and
 * SQLite answers BUSY at once there, without its busy handler.
 */
function retryBusy<T>(timeoutMs: number, step: () => T): T {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      return step();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(SLEEPER, 0, 0, delay);
    }
  }
}

function isBusy(error: unknown): boolean {
  const code =
    (error as { errcode?: unknown })?.errcode ?? (error as { cause?: { errcode?: unknown } })?.cause?.errcode;
  return typeof code === "number" && (code & 0xff) === SQLITE_BUSY;
}

/** WAL persists in the file, so only a new file is switched. */
function enableWal(db: DatabaseSync): void {
  const row = db.prepare("PRAGMA journal_mode").get() as { journal_mode?: string } | undefined;
  if (row?.journal_mode !== "wal") db.exec("PRAGMA journal_mode = WAL");
}

const SQLITE_BUSY = 5;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Returns true when the file does not exist yet (it will be created). Reads only. */
function checkFile(file: string, mustExist: boolean): boolean {
  if (!existsSync(file)) {
    if (mustExist)
      throw new StoreError(
        "missing",
        `no store at ${file} (nothing has been stored there yet; set --store or $FATHOM_STORE)`,
      );
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    return true;
  }
  const stat = statSync(file);
  if (!stat.isFile()) throw new StoreError("not-sqlite", `store ${file} is not a regular file`);
  if (stat.size === 0) return false;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, "r");
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (stat.size < 100 || !header.equals(SQLITE_HEADER)) {
    throw new StoreError(
      "not-sqlite",
      `${file} is not an SQLite database, so it is not a fathom store; it was left untouched (choose another --store)`,
    );
  }
  return false;
}

/** Read-only checks before the first write: whose file is this, which version, is it sound. */
function inspect(db: DatabaseSync, file: string): void {
  let applicationId: number;
  let version: number;
  let tables: number;
  let check: string[];
  try {
    // One read transaction: another process migrating the file meanwhile is seen wholly or not at all.
    db.exec("BEGIN");
    try {
      applicationId = readPragmaNumber(db, "application_id");
      version = readPragmaNumber(db, "user_version");
      tables = Number(
        (
          db
            .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .get() as { n: number }
        ).n,
      );
      check = (db.prepare("PRAGMA quick_check").all() as Array<Record<string, unknown>>).map((r) =>
        String(Object.values(r)[0]),
      );
    } finally {
      if (db.isTransaction) db.exec("COMMIT");
    }
  } catch (error) {
    if (isBusy(error)) throw error;
    throw new StoreError(
      "corrupt",
      `store ${file} is corrupt or unreadable (${(error as Error).message}); it was left untouched`,
      { cause: error },
    );
  }
  if (applicationId !== 0 && applicationId !== APPLICATION_ID) {
    throw new StoreError(
      "not-a-store",
      `${file} is another application's SQLite database (application_id 0x${applicationId.toString(16)}), not a fathom store; it was left untouched`,
    );
  }
  if (applicationId === 0 && (tables > 0 || version > 0)) {
    throw new StoreError(
      "not-a-store",
      `${file} is an SQLite database that fathom did not create (${tables} tables, no fathom marker); it was left untouched`,
    );
  }
  if (version > SCHEMA_VERSION) throw newerSchema(file, version);
  if (check.length !== 1 || check[0] !== "ok") {
    throw new StoreError(
      "corrupt",
      `store ${file} failed SQLite's integrity check (${check.slice(0, 3).join("; ")}); it was left untouched`,
    );
  }
}

function createStore(db: DatabaseSync, path: string, clock: Clock, logger: Logger): Store {
  const ctx = createContext(db, clock, logger);
  let closed = false;
  return {
    path,
    schemaVersion: SCHEMA_VERSION,
    atomically: (fn) => ctx.tx(fn),
    saveSnapshot: (id, snapshot, state, opts) => investigations.saveSnapshot(ctx, id, snapshot, state, opts),
    saveReport: (id, report) => investigations.saveReport(ctx, id, report),
    getInvestigation: (id) => investigations.getInvestigation(ctx, id),
    listInvestigations: (opts) => investigations.listInvestigations(ctx, opts),
    resumableInvestigations: () => investigations.resumableInvestigations(ctx),
    openIncident: (input) => incidents.openIncident(ctx, input),
    resolveIncident: (key, opts) => incidents.resolveIncident(ctx, key, opts),
    getIncident: (key) => incidents.getIncident(ctx, key),
    recordAlarm: (input) => incidents.recordAlarm(ctx, input),
    listAlarms: (opts) => incidents.listAlarms(ctx, opts),
    saveProposal: (proposal) => proposals.saveProposal(ctx, proposal),
    getProposal: (id) => proposals.getProposal(ctx, id),
    listProposals: (filter) => proposals.listProposals(ctx, filter),
    setProposalStatus: (id, status, reason) => proposals.setProposalStatus(ctx, id, status, reason),
    recordDecision: (approval) => proposals.recordDecision(ctx, approval),
    getApproval: (id) => proposals.getApproval(ctx, id),
    beginExecution: (input) => executions.beginExecution(ctx, input),
    updateExecution: (token, update) => executions.updateExecution(ctx, token, update),
    getExecution: (token) => executions.getExecution(ctx, token),
    recordVerification: (input) => executions.recordVerification(ctx, input),
    appendAudit: (input) => audit.appendAudit(ctx, input),
    listAudit: (opts) => audit.listAudit(ctx, opts),
    verifyAudit: () => audit.verifyAudit(ctx),
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
