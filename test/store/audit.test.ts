import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/domain/remediation.ts";
import { AUDIT_GENESIS, auditHash, type Store } from "../../src/store/index.ts";
import { makeApproval, makeProposal, manualClock, useTempStores } from "./helpers.ts";

const temp = useTempStores();

/** A store with eight audit records, closed, so the attacker has the file to themselves. */
function writtenTrail(): string {
  const path = temp.path();
  const clock = manualClock();
  const store = temp.open(path, clock);
  for (let i = 1; i <= 8; i++) {
    clock.advance(1_000);
    store.appendAudit({ type: "incident", subject: `incident-${i}`, data: { event: "opened", n: i } });
  }
  store.close();
  return path;
}

/** The attacker: a second connection to the file, dropping the append-only triggers first. */
function tamper(path: string, sql: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");
    db.exec(sql);
  } finally {
    db.close();
  }
}

function restoreTriggers(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;
           CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;`);
  db.close();
}

function verify(path: string) {
  return temp.open(path).verifyAudit();
}

describe("the audit trail", () => {
  it("chains each record to the previous one by sha256 of its canonical JSON, from a fixed genesis", () => {
    const store = temp.open(temp.path());
    const first = store.appendAudit({ type: "investigation", subject: "inv-1", data: { event: "started" } });
    const second = store.appendAudit({ type: "incident", subject: "k", actor: { user: "bob" }, data: { b: 2, a: 1 } });
    expect(first).toMatchObject({ seq: 1, prevHash: AUDIT_GENESIS, actor: null });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, actor: { user: "bob" } });
    const { hash: _hash, ...unhashed } = second;
    const expected = `sha256:${createHash("sha256").update(canonicalJson(unhashed)).digest("hex")}`;
    expect(second.hash).toBe(expected);
    expect(auditHash(unhashed)).toBe(expected);
    expect(store.listAudit()).toEqual([first, second]);
  });

  it("verifies an untouched trail and counts its records by type", () => {
    const store = temp.open(temp.path());
    const proposal = makeProposal("inv-1");
    store.saveProposal(proposal);
    store.recordDecision(makeApproval(proposal));
    const result = store.verifyAudit();
    expect(result).toMatchObject({ ok: true, records: 2, verified: 2, triggersIntact: true });
    expect(result.byType).toMatchObject({ proposal: 1, decision: 1, execution: 0 });
    expect(result.head?.seq).toBe(2);
    expect(result.firstBad).toBeUndefined();
  });

  it("verifies an empty trail", () => {
    expect(temp.open(temp.path()).verifyAudit()).toMatchObject({ ok: true, records: 0, verified: 0 });
  });

  it("refuses UPDATE and DELETE of audit rows, even through SQL on the store's own file", () => {
    const path = temp.path();
    const store = temp.open(path);
    store.appendAudit({ type: "incident", subject: "k", data: {} });
    const db = new DatabaseSync(path);
    try {
      expect(() => db.exec("UPDATE audit SET subject = 'other'")).toThrow(/append-only/);
      expect(() => db.exec("DELETE FROM audit")).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(store.verifyAudit().ok).toBe(true);
  });

  it("names an edited record: its content no longer matches its hash", () => {
    const path = writtenTrail();
    tamper(path, `UPDATE audit SET data = json_set(data, '$.n', 99) WHERE seq = 5`);
    restoreTriggers(path);
    const result = verify(path);
    expect(result.ok).toBe(false);
    expect(result.firstBad).toMatchObject({ seq: 5, problem: "edited" });
    expect(result.firstBad?.reason).toMatch(/does not match its hash/);
    expect(result).toMatchObject({ records: 8, verified: 4 });
  });

  it("names an edit whose hash the attacker recomputed, at the next link", () => {
    const path = writtenTrail();
    const db = new DatabaseSync(path);
    const row = db.prepare("SELECT * FROM audit WHERE seq = 3").get() as Record<string, string | number>;
    db.close();
    const forged = {
      seq: 3,
      at: String(row.at),
      type: "incident" as const,
      subject: String(row.subject),
      actor: null,
      data: { event: "opened", n: 300 },
      prevHash: String(row.prev_hash),
    };
    tamper(
      path,
      `UPDATE audit SET data = '${JSON.stringify(forged.data)}', hash = '${auditHash(forged)}' WHERE seq = 3`,
    );
    restoreTriggers(path);
    const result = verify(path);
    expect(result.firstBad).toMatchObject({ seq: 4, problem: "edited" });
    expect(result.firstBad?.reason).toMatch(/not chained to record 3/);
  });

  it("names a deleted record by the gap it leaves", () => {
    const path = writtenTrail();
    tamper(path, "DELETE FROM audit WHERE seq = 4");
    restoreTriggers(path);
    const result = verify(path);
    expect(result.firstBad).toMatchObject({ seq: 5, problem: "deleted" });
    expect(result.firstBad?.reason).toBe("record 4 is missing before record 5");
    expect(result).toMatchObject({ records: 7, verified: 3 });
  });

  it("names records deleted from the end of the trail", () => {
    const path = writtenTrail();
    tamper(path, "DELETE FROM audit WHERE seq >= 7");
    restoreTriggers(path);
    const result = verify(path);
    expect(result.firstBad).toMatchObject({ seq: 7, problem: "truncated" });
    expect(result.firstBad?.reason).toMatch(/records 7–8 were deleted from the end/);
  });

  it("names a deletion hidden by renumbering the records after it", () => {
    const path = writtenTrail();
    tamper(path, "DELETE FROM audit WHERE seq = 4; UPDATE audit SET seq = seq - 1 WHERE seq > 4;");
    restoreTriggers(path);
    const result = verify(path);
    expect(result.firstBad).toMatchObject({ seq: 4, problem: "deleted" });
    expect(result.firstBad?.reason).toMatch(/written as record 5.*deleted/);
  });

  it("names reordered records", () => {
    const path = writtenTrail();
    tamper(
      path,
      "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -1;",
    );
    restoreTriggers(path);
    const result = verify(path);
    expect(result.firstBad).toMatchObject({ seq: 3, problem: "reordered" });
    expect(result.firstBad?.reason).toBe("record 3 was written as record 6: the trail was reordered");
  });

  it("reports dropped append-only triggers even when every record still verifies", () => {
    const path = writtenTrail();
    tamper(path, "SELECT 1");
    const result = verify(path);
    expect(result).toMatchObject({ ok: false, triggersIntact: false, verified: 8 });
    expect(result.firstBad).toBeUndefined();
  });

  it("keeps chaining correctly when two store instances append to one file in turn", () => {
    const path = temp.path();
    const a = temp.open(path);
    const b = temp.open(path);
    const stores: Store[] = [a, b];
    for (let i = 0; i < 20; i++)
      (stores[i % 2] as Store).appendAudit({ type: "execution", subject: `s-${i}`, data: { i } });
    const result = a.verifyAudit();
    expect(result).toMatchObject({ ok: true, records: 20 });
    expect(b.listAudit().map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
