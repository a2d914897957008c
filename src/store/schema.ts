import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "../logger.ts";
import { StoreError } from "./errors.ts";

/** Written into the SQLite header (`PRAGMA application_id`): "FATM". Marks a file as fathom's. */
export const APPLICATION_ID = 0x4641544d;

interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Append-only: a released migration is never edited; a change is a new entry. The schema version
 * is `PRAGMA user_version`, which SQLite keeps in the file header inside the same transaction.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "investigations, incidents, alarms, proposals, approvals, executions, audit",
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE investigations (
        id           TEXT PRIMARY KEY,
        incident_key TEXT,
        state        TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done', 'error', 'stopped')),
        snapshot     TEXT,
        report       TEXT,
        verdict      TEXT,
        root_cause   TEXT,
        confidence   REAL,
        title        TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX investigations_by_created ON investigations (created_at DESC, id DESC);
      CREATE INDEX investigations_by_incident ON investigations (incident_key);
      CREATE INDEX investigations_by_status ON investigations (status);

      CREATE TABLE incidents (
        key              TEXT PRIMARY KEY,
        cluster          TEXT,
        alarm            TEXT NOT NULL,
        nodes            TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        investigation_id TEXT REFERENCES investigations (id),
        first_seen       TEXT NOT NULL,
        last_seen        TEXT NOT NULL,
        resolved_at      TEXT,
        alarm_count      INTEGER NOT NULL DEFAULT 1,
        sources          TEXT NOT NULL
      ) STRICT;

      CREATE TABLE alarms (
        id           INTEGER PRIMARY KEY,
        receiver     TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        incident_key TEXT,
        outcome      TEXT NOT NULL CHECK (outcome IN ('investigation-started', 'attached', 'resolved', 'no-investigation')),
        reason       TEXT,
        alarm        TEXT NOT NULL
      ) STRICT;
      CREATE INDEX alarms_by_incident ON alarms (incident_key);

      CREATE TABLE proposals (
        id               TEXT PRIMARY KEY,
        investigation_id TEXT NOT NULL,
        root_cause       TEXT NOT NULL,
        document         TEXT NOT NULL,
        plan_hash        TEXT NOT NULL,
        status           TEXT NOT NULL,
        body             TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        UNIQUE (investigation_id, root_cause, document, plan_hash)
      ) STRICT;
      CREATE INDEX proposals_by_status ON proposals (status);

      CREATE TABLE approvals (
        id            TEXT PRIMARY KEY,
        proposal_id   TEXT NOT NULL REFERENCES proposals (id),
        plan_hash     TEXT NOT NULL,
        decision      TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
        approver_user TEXT NOT NULL,
        approver_name TEXT,
        reason        TEXT,
        decided_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        recorded_at   TEXT NOT NULL,
        UNIQUE (proposal_id, plan_hash)
      ) STRICT;

      CREATE TABLE executions (
        id           TEXT PRIMARY KEY,
        client_token TEXT NOT NULL UNIQUE,
        proposal_id  TEXT NOT NULL REFERENCES proposals (id),
        approval_id  TEXT NOT NULL REFERENCES approvals (id),
        execution_id TEXT,
        status       TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        error        TEXT,
        updated_at   TEXT NOT NULL
      ) STRICT;

      CREATE TABLE audit (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        type      TEXT NOT NULL CHECK (type IN ('proposal', 'decision', 'execution', 'verification', 'investigation', 'incident')),
        subject   TEXT NOT NULL,
        actor     TEXT,
        data      TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: records are never updated'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: records are never deleted'); END;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** The triggers that make `audit` append-only; verifyAudit reports when they are gone. */
export const AUDIT_TRIGGERS = ["audit_no_update", "audit_no_delete"] as const;

export function readPragmaNumber(db: DatabaseSync, pragma: "user_version" | "application_id"): number {
  const row = db.prepare(`PRAGMA ${pragma}`).get() as Record<string, unknown> | undefined;
  return Number(row?.[pragma] ?? 0);
}

/**
 * Brings the file up to SCHEMA_VERSION in one write transaction. The version is read again under
 * the write lock, so two processes opening a new file at once migrate it exactly once.
 */
export function migrate(db: DatabaseSync, path: string, logger: Logger): number {
  db.exec("BEGIN IMMEDIATE");
  try {
    const current = readPragmaNumber(db, "user_version");
    if (current > SCHEMA_VERSION) throw newerSchema(path, current);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
      logger.info({ store: path, version: migration.version }, `store migrated: ${migration.description}`);
    }
    if (readPragmaNumber(db, "application_id") !== APPLICATION_ID) db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec("COMMIT");
    return SCHEMA_VERSION;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

export function newerSchema(path: string, version: number): StoreError {
  return new StoreError(
    "newer-schema",
    `store ${path} was written by a newer fathom (schema version ${version}; this fathom knows up to ${SCHEMA_VERSION}): upgrade fathom, or use another --store`,
  );
}
