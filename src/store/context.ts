import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from "node:sqlite";
import type { Logger } from "../logger.ts";
import { StoreError } from "./errors.ts";
import type { Clock } from "./types.ts";

export type Row = Record<string, SQLOutputValue>;
export type Params = Record<string, SQLInputValue>;

/** What every table module shares: the connection, the clock, the logger and cached statements. */
export interface StoreContext {
  db: DatabaseSync;
  clock: Clock;
  logger: Logger;
  /** A prepared statement, cached by its SQL text. */
  sql(text: string): StatementSync;
  /** One BEGIN IMMEDIATE … COMMIT around `fn`; a nested call joins the open transaction. */
  tx<T>(fn: () => T): T;
  /** Runs `fn` on one consistent read snapshot (joins an open transaction). */
  read<T>(fn: () => T): T;
  nowIso(at?: number): string;
}

export function createContext(db: DatabaseSync, clock: Clock, logger: Logger): StoreContext {
  const statements = new Map<string, StatementSync>();
  return {
    db,
    clock,
    logger,
    sql(text) {
      let statement = statements.get(text);
      if (!statement) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    tx(fn) {
      if (db.isTransaction) return fn();
      // IMMEDIATE takes the write lock up front: a read-then-write inside never fails half-way
      // with SQLITE_BUSY_SNAPSHOT because another process wrote in between.
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = fn();
        if (result instanceof Promise)
          throw new StoreError("invalid", "store transactions are synchronous: do not pass an async function");
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
    read(fn) {
      if (db.isTransaction) return fn();
      db.exec("BEGIN");
      try {
        return fn();
      } finally {
        if (db.isTransaction) db.exec("COMMIT");
      }
    },
    nowIso(at) {
      return new Date(at ?? clock.now()).toISOString();
    },
  };
}

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== "string")
    throw new StoreError("corrupt", `column ${column} holds ${value === null ? "NULL" : typeof value}, not text`);
  return value;
}

export function optionalText(row: Row, column: string): string | undefined {
  const value = row[column];
  return typeof value === "string" ? value : undefined;
}

export function integer(row: Row, column: string): number {
  const value = row[column];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw new StoreError("corrupt", `column ${column} holds ${value === null ? "NULL" : typeof value}, not an integer`);
}

export function json<T>(row: Row, column: string): T {
  const raw = text(row, column);
  try {
    return JSON.parse(raw) as T;
  } catch (error) {
    throw new StoreError("corrupt", `column ${column} does not hold valid JSON`, { cause: error });
  }
}

export function optionalJson<T>(row: Row, column: string): T | undefined {
  return typeof row[column] === "string" ? json<T>(row, column) : undefined;
}

/** Object without its undefined fields, for building records that satisfy exactOptional-style types. */
export function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
