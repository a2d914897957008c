import { createHash } from "node:crypto";
import type { Approver } from "../domain/remediation.ts";
import { canonicalJson } from "../domain/remediation.ts";
import { integer, optionalText, text, type Row, type StoreContext } from "./context.ts";
import { StoreError } from "./errors.ts";
import { redactForStore } from "./redact.ts";
import { AUDIT_TRIGGERS } from "./schema.ts";
import {
  AUDIT_TYPES,
  type AuditInput,
  type AuditProblem,
  type AuditRecord,
  type AuditType,
  type AuditVerification,
} from "./types.ts";

/** The prevHash of record 1: a fixed value, so a trail cannot be cut and restarted unnoticed. */
export const AUDIT_GENESIS = sha256("fathom audit trail genesis v1");

const HEAD_KEY = "audit_head";

function sha256(value: string): string {
  return `sha256:${createHash("sha256").update(value).digest("hex")}`;
}

/** sha256 of the canonical JSON of the record without its hash (prevHash included: that is the chain). */
export function auditHash(record: Omit<AuditRecord, "hash">): string {
  const { seq, at, type, subject, actor, data, prevHash } = record;
  return sha256(canonicalJson({ seq, at, type, subject, actor, data, prevHash }));
}

/**
 * Appends one record, chained to the last. Runs inside the caller's transaction when there is one
 * (a decision and its audit record commit together), else in its own.
 */
export function appendAudit(ctx: StoreContext, input: AuditInput): AuditRecord {
  if (!(AUDIT_TYPES as readonly string[]).includes(input.type))
    throw new StoreError("invalid", `unknown audit type "${input.type}"`);
  if (typeof input.subject !== "string" || input.subject.length === 0)
    throw new StoreError("invalid", "an audit record needs a subject");
  return ctx.tx(() => {
    const last = ctx.sql("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").get() as Row | undefined;
    // Round-trip through JSON so the hashed value is exactly what verify will read back.
    const data = JSON.parse(JSON.stringify(redactForStore(input.data))) as Record<string, unknown>;
    const actor = input.actor ? (JSON.parse(JSON.stringify(redactForStore(input.actor))) as Approver) : null;
    const unhashed: Omit<AuditRecord, "hash"> = {
      seq: last ? integer(last, "seq") + 1 : 1,
      at: ctx.nowIso(),
      type: input.type,
      subject: redactForStore(input.subject),
      actor,
      data,
      prevHash: last ? text(last, "hash") : AUDIT_GENESIS,
    };
    const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
    ctx
      .sql(
        "INSERT INTO audit (seq, at, type, subject, actor, data, prev_hash, hash) VALUES (:seq, :at, :type, :subject, :actor, :data, :prevHash, :hash)",
      )
      .run({ ...record, actor: actor ? JSON.stringify(actor) : null, data: JSON.stringify(data) });
    // The head lets verify notice records cut from the end, which leave no gap behind them.
    ctx
      .sql("INSERT INTO meta (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run({ key: HEAD_KEY, value: JSON.stringify({ seq: record.seq, hash: record.hash }) });
    return record;
  });
}

export function listAudit(ctx: StoreContext, options: { subject?: string; type?: AuditType } = {}): AuditRecord[] {
  const rows = ctx
    .sql(
      "SELECT * FROM audit WHERE (:subject IS NULL OR subject = :subject) AND (:type IS NULL OR type = :type) ORDER BY seq",
    )
    .all({ subject: options.subject ?? null, type: options.type ?? null }) as Row[];
  return rows.map((row) => {
    const parsed = parseRow(row);
    if ("error" in parsed) throw new StoreError("corrupt", `audit record ${String(row.seq)}: ${parsed.error}`);
    return parsed.record;
  });
}

function parseRow(row: Row): { record: AuditRecord } | { error: string } {
  try {
    const actorText = optionalText(row, "actor");
    return {
      record: {
        seq: integer(row, "seq"),
        at: text(row, "at"),
        type: text(row, "type") as AuditType,
        subject: text(row, "subject"),
        actor: actorText === undefined ? null : (JSON.parse(actorText) as Approver),
        data: JSON.parse(text(row, "data")) as Record<string, unknown>,
        prevHash: text(row, "prev_hash"),
        hash: text(row, "hash"),
      },
    };
  } catch (error) {
    return { error: `unreadable (${(error as Error).message})` };
  }
}

/**
 * Walks the chain in seq order and names the first bad record: edited (its hash no longer matches
 * its content), deleted (a gap in seq, a broken prevHash link, or records cut from the end),
 * reordered (intact content sitting at another position). A rewrite that recomputes every hash
 * after the edit is only caught against a head noted elsewhere: `head` is reported for that.
 */
export function verifyAudit(ctx: StoreContext): AuditVerification {
  return ctx.read(() => walkChain(ctx));
}

function walkChain(ctx: StoreContext): AuditVerification {
  const byType = Object.fromEntries(AUDIT_TYPES.map((t) => [t, 0])) as Record<AuditType, number>;
  const triggers = ctx
    .sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'")
    .all() as Row[];
  const triggersIntact = AUDIT_TRIGGERS.every((name) => triggers.some((t) => t.name === name));
  const records = integer(ctx.sql("SELECT count(*) AS n FROM audit").get() as Row, "n");
  const knownHashes = new Set((ctx.sql("SELECT hash FROM audit").all() as Row[]).map((r) => r.hash));

  let previous: AuditRecord | undefined;
  let verified = 0;
  let firstBad: AuditVerification["firstBad"];
  for (const row of ctx.sql("SELECT * FROM audit ORDER BY seq").iterate() as Iterable<Row>) {
    const problem = checkRecord(ctx, row, previous, knownHashes);
    if (problem) {
      firstBad = problem;
      break;
    }
    previous = (parseRow(row) as { record: AuditRecord }).record;
    byType[previous.type] = (byType[previous.type] ?? 0) + 1;
    verified++;
  }
  if (!firstBad) firstBad = checkHead(ctx, previous);
  const head = previous ? { seq: previous.seq, hash: previous.hash } : undefined;
  return {
    ok: !firstBad && triggersIntact,
    records,
    verified,
    byType,
    ...(head ? { head } : {}),
    ...(firstBad ? { firstBad } : {}),
    triggersIntact,
  };
}

type Problem = { seq: number; problem: AuditProblem; reason: string };

function checkRecord(
  ctx: StoreContext,
  row: Row,
  previous: AuditRecord | undefined,
  knownHashes: Set<unknown>,
): Problem | undefined {
  const seq = Number(row.seq);
  const parsed = parseRow(row);
  if ("error" in parsed) return { seq, problem: "malformed", reason: `record ${seq} is ${parsed.error}` };
  const record = parsed.record;
  const expectedSeq = (previous?.seq ?? 0) + 1;
  const expectedPrev = previous?.hash ?? AUDIT_GENESIS;

  if (seq > expectedSeq) {
    const missing = seq - expectedSeq === 1 ? `record ${expectedSeq} is` : `records ${expectedSeq}–${seq - 1} are`;
    return { seq, problem: "deleted", reason: `${missing} missing before record ${seq}` };
  }
  if (seq < expectedSeq) return { seq, problem: "malformed", reason: `record ${seq} has a sequence number below 1` };
  if (!(AUDIT_TYPES as readonly string[]).includes(record.type))
    return { seq, problem: "edited", reason: `record ${seq} has an unknown type "${record.type}"` };

  if (auditHash(record) !== record.hash) {
    // Intact content at the wrong position: it hashes correctly under the seq it was written with.
    const original = originalSeq(ctx, record);
    if (original !== undefined) {
      if (!knownHashes.has(record.prevHash) && record.prevHash !== AUDIT_GENESIS) {
        return {
          seq,
          problem: "deleted",
          reason: `record ${seq} was written as record ${original}, and the record it was chained to is gone: records were deleted and the rest renumbered`,
        };
      }
      return {
        seq,
        problem: "reordered",
        reason: `record ${seq} was written as record ${original}: the trail was reordered`,
      };
    }
    return {
      seq,
      problem: "edited",
      reason: `record ${seq} (${record.type} ${record.subject}) does not match its hash: its content was changed after it was written`,
    };
  }
  if (record.prevHash !== expectedPrev) {
    if (!previous)
      return {
        seq,
        problem: "edited",
        reason: `record ${seq} is not chained to the genesis: the start of the trail was replaced`,
      };
    if (knownHashes.has(record.prevHash))
      return {
        seq,
        problem: "reordered",
        reason: `record ${seq} is chained to a record other than ${previous.seq}: the trail was reordered`,
      };
    // Seqs are continuous, so nothing is missing here: record N-1 was rewritten with a fresh hash
    // (or removed and the rest renumbered and rehashed, which looks the same).
    return {
      seq,
      problem: "edited",
      reason: `record ${seq} is not chained to record ${previous.seq} (prevHash differs): record ${previous.seq} was rewritten after record ${seq} was written`,
    };
  }
  return undefined;
}

/** The seq under which this record's content hashes to its stored hash, if another one does. */
function originalSeq(ctx: StoreContext, record: AuditRecord): number | undefined {
  const max = integer(ctx.sql("SELECT coalesce(max(seq), 0) AS m FROM audit").get() as Row, "m");
  const head = readHead(ctx);
  const limit = Math.max(max, head?.seq ?? 0) + 1;
  for (let seq = 1; seq <= limit; seq++) {
    if (seq !== record.seq && auditHash({ ...record, seq }) === record.hash) return seq;
  }
  return undefined;
}

function readHead(ctx: StoreContext): { seq: number; hash: string } | undefined {
  const row = ctx.sql("SELECT value FROM meta WHERE key = ?").get(HEAD_KEY) as Row | undefined;
  if (!row) return undefined;
  try {
    const head = JSON.parse(text(row, "value")) as { seq: number; hash: string };
    return typeof head.seq === "number" && typeof head.hash === "string" ? head : undefined;
  } catch {
    return undefined;
  }
}

function checkHead(ctx: StoreContext, last: AuditRecord | undefined): Problem | undefined {
  const head = readHead(ctx);
  if (!head)
    return last
      ? {
          seq: last.seq,
          problem: "edited",
          reason: "the trail's head marker is missing: the store was edited outside fathom",
        }
      : undefined;
  if (!last) return { seq: 1, problem: "truncated", reason: `all ${head.seq} records were deleted` };
  if (head.seq > last.seq) {
    const cut = head.seq - last.seq === 1 ? `record ${head.seq} was` : `records ${last.seq + 1}–${head.seq} were`;
    return { seq: last.seq + 1, problem: "truncated", reason: `${cut} deleted from the end of the trail` };
  }
  if (head.seq !== last.seq || head.hash !== last.hash)
    return { seq: last.seq, problem: "edited", reason: `record ${last.seq} is not the head fathom last wrote` };
  return undefined;
}
