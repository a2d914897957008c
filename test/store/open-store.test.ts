import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { openStore, SCHEMA_VERSION, StoreError } from "../../src/store/index.ts";
import { defaultStorePath } from "../../src/store/store-path.ts";
import { makeReport, useTempStores } from "./helpers.ts";

const temp = useTempStores();

function refusal(path: string, options: Parameters<typeof openStore>[1] = {}): StoreError {
  try {
    openStore(path, options).close();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error(`openStore(${path}) was expected to refuse`);
}

describe("opening the store", () => {
  it("creates a versioned schema in WAL mode with a busy timeout, marked as fathom's", () => {
    const path = temp.path();
    temp.open(path).close();
    const db = new DatabaseSync(path);
    try {
      expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
      expect(db.prepare("PRAGMA application_id").get()).toEqual({ application_id: 0x4641544d });
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
      ).map((t) => t.name);
      expect(tables).toEqual([
        "alarms",
        "approvals",
        "audit",
        "executions",
        "incidents",
        "investigations",
        "meta",
        "proposals",
      ]);
    } finally {
      db.close();
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("keeps what was written across a close and a reopen, migrating nothing twice", () => {
    const path = temp.path();
    const first = openStore(path);
    first.saveReport("inv-1", makeReport("inv-1"));
    first.close();
    const second = temp.open(path);
    expect(second.getInvestigation("inv-1")?.report?.rootCauses[0]?.id).toBe("net.conntrack-exhaustion");
    expect(second.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it("refuses a file that is not SQLite and leaves its bytes untouched", () => {
    const path = temp.path("notes.txt");
    const bytes = "these are my notes, not a database\n".repeat(20);
    writeFileSync(path, bytes);
    const error = refusal(path);
    expect(error.code).toBe("not-sqlite");
    expect(error.message).toMatch(/is not an SQLite database.*left untouched/);
    expect(readFileSync(path, "utf8")).toBe(bytes);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("refuses a corrupt SQLite file (a valid header over garbage) and leaves it untouched", () => {
    const path = temp.path();
    const bytes = Buffer.concat([
      Buffer.from("SQLite format 3\0", "latin1"),
      Buffer.from([0x10, 0x00, 0x01, 0x01]),
      Buffer.alloc(8192, 0xab),
    ]);
    writeFileSync(path, bytes);
    const error = refusal(path);
    expect(error.code).toBe("corrupt");
    expect(error.message).toMatch(/corrupt|unreadable|integrity/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("refuses a store whose pages were damaged after it was written", () => {
    const path = temp.path();
    const store = openStore(path);
    for (let i = 0; i < 50; i++) store.saveReport(`inv-${i}`, makeReport(`inv-${i}`));
    store.close();
    const bytes = readFileSync(path);
    bytes.fill(0xff, 4096 * 2, 4096 * 4);
    writeFileSync(path, bytes);
    const error = refusal(path);
    expect(error.code).toBe("corrupt");
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("refuses another application's SQLite database without changing it", () => {
    const path = temp.path("app.db");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('bob');");
    db.close();
    const before = readFileSync(path);
    const error = refusal(path);
    expect(error.code).toBe("not-a-store");
    expect(error.message).toMatch(/did not create/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("refuses a database marked with another application id", () => {
    const path = temp.path("other.db");
    const db = new DatabaseSync(path);
    db.exec("PRAGMA application_id = 1234");
    db.close();
    expect(refusal(path).code).toBe("not-a-store");
  });

  it("refuses a store written by a newer schema version with a clear error", () => {
    const path = temp.path();
    temp.open(path).close();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const error = refusal(path);
    expect(error.code).toBe("newer-schema");
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}; this fathom knows up to ${SCHEMA_VERSION}`);
    const check = new DatabaseSync(path);
    expect(check.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION + 1 });
    check.close();
  });

  it("refuses to create a store when the caller needs an existing one", () => {
    const path = temp.path();
    const error = refusal(path, { mustExist: true });
    expect(error.code).toBe("missing");
    expect(existsSync(path)).toBe(false);
  });

  it("opens :memory: for tests", () => {
    const store = openStore(":memory:");
    store.saveReport("inv-m", makeReport("inv-m"));
    expect(store.listInvestigations()).toHaveLength(1);
    store.close();
  });

  it("defaults to --store, then $FATHOM_STORE, then ~/.fathom/fathom.db", () => {
    expect(defaultStorePath("/x/flag.db", { FATHOM_STORE: "/x/env.db" })).toBe("/x/flag.db");
    expect(defaultStorePath(undefined, { FATHOM_STORE: "/x/env.db" })).toBe("/x/env.db");
    expect(defaultStorePath(undefined, {})).toMatch(/\.fathom\/fathom\.db$/);
  });
});
