import { ReportSchema, type Report } from "../domain/report.ts";
import { appendAudit } from "./audit.ts";
import { defined, integer, optionalJson, optionalText, text, type Row, type StoreContext } from "./context.ts";
import { StoreError } from "./errors.ts";
import { checkedId, redactForStore } from "./redact.ts";
import type { InvestigationRecord, InvestigationSummary, ListInvestigationsOptions, SnapshotStatus } from "./types.ts";

const STATUSES: readonly SnapshotStatus[] = ["active", "done", "error", "stopped"];

/**
 * The top-level state of a machine value: `"synthesizing"`, or the first key of
 * `{"investigating":{…}}` (the coordinator passes object values as JSON text).
 */
export function stateLabel(value: string): string {
  if (!value.startsWith("{")) return value;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    return Object.keys(parsed)[0] ?? value;
  } catch {
    return value;
  }
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path)
    current = current && typeof current === "object" ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

/** Saves the persisted snapshot of one transition, creating the investigation on the first. */
export function saveSnapshot(
  ctx: StoreContext,
  id: string,
  snapshot: unknown,
  state: string,
  options: { incidentKey?: string } = {},
): void {
  checkedId("investigation id", id);
  const redacted = redactForStore(snapshot);
  const rawStatus = field(redacted, "status");
  const status: SnapshotStatus = STATUSES.includes(rawStatus as SnapshotStatus)
    ? (rawStatus as SnapshotStatus)
    : "active";
  const title = field(redacted, "context", "incident", "title");
  const now = ctx.nowIso();
  ctx.tx(() => {
    const before = ctx.sql("SELECT status FROM investigations WHERE id = ?").get(id) as Row | undefined;
    ctx
      .sql(
        `INSERT INTO investigations (id, incident_key, state, status, snapshot, title, created_at, updated_at)
         VALUES (:id, :incidentKey, :state, :status, :snapshot, :title, :now, :now)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, status = excluded.status, snapshot = excluded.snapshot,
           incident_key = coalesce(excluded.incident_key, incident_key), title = coalesce(title, excluded.title), updated_at = excluded.updated_at`,
      )
      .run({
        id,
        incidentKey: options.incidentKey ? redactForStore(options.incidentKey) : null,
        state: redactForStore(stateLabel(state)),
        status,
        snapshot: JSON.stringify(redacted ?? null),
        title: typeof title === "string" ? title : null,
        now,
      });
    if (!before)
      appendAudit(ctx, {
        type: "investigation",
        subject: id,
        data: {
          event: "started",
          state: stateLabel(state),
          ...(options.incidentKey ? { incidentKey: options.incidentKey } : {}),
        },
      });
    else if (before.status === "active" && status !== "active")
      appendAudit(ctx, {
        type: "investigation",
        subject: id,
        data: { event: "finished", state: stateLabel(state), status },
      });
  });
}

/** Creates an investigation that has not run yet (an incident opened it); no-op when it exists. */
export function createInvestigation(ctx: StoreContext, id: string, incidentKey: string | undefined): boolean {
  return ctx.tx(() => {
    const now = ctx.nowIso();
    const result = ctx
      .sql(
        "INSERT INTO investigations (id, incident_key, state, status, created_at, updated_at) VALUES (:id, :incidentKey, 'received', 'active', :now, :now) ON CONFLICT (id) DO NOTHING",
      )
      .run({
        id: checkedId("investigation id", id),
        incidentKey: incidentKey === undefined ? null : redactForStore(incidentKey),
        now,
      });
    if (result.changes === 0) return false;
    appendAudit(ctx, {
      type: "investigation",
      subject: id,
      data: { event: "started", state: "received", ...(incidentKey ? { incidentKey } : {}) },
    });
    return true;
  });
}

/** Stores the report once: saving the same report again (a resumed run) changes nothing. */
export function saveReport(ctx: StoreContext, id: string, report: Report): void {
  checkedId("investigation id", id);
  const parsed = ReportSchema.safeParse(redactForStore(report));
  if (!parsed.success)
    throw new StoreError(
      "invalid",
      `report for ${id} does not match the report schema: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  const stored = parsed.data;
  const body = JSON.stringify(stored);
  const top = stored.rootCauses[0];
  const now = ctx.nowIso();
  ctx.tx(() => {
    const before = ctx.sql("SELECT report FROM investigations WHERE id = ?").get(id) as Row | undefined;
    if (before?.report === body) return;
    ctx
      .sql(
        `INSERT INTO investigations (id, state, status, report, verdict, root_cause, confidence, title, created_at, updated_at)
         VALUES (:id, 'reported', 'done', :report, :verdict, :rootCause, :confidence, :title, :now, :now)
         ON CONFLICT (id) DO UPDATE SET report = excluded.report, verdict = excluded.verdict, root_cause = excluded.root_cause,
           confidence = excluded.confidence, title = excluded.title, updated_at = excluded.updated_at`,
      )
      .run({
        id,
        report: body,
        verdict: stored.verdict,
        rootCause: top?.id ?? null,
        confidence: top?.confidence ?? null,
        title: stored.incident.title,
        now,
      });
    appendAudit(ctx, {
      type: "investigation",
      subject: id,
      data: {
        event: before?.report ? "report-replaced" : "reported",
        verdict: stored.verdict,
        rootCause: top?.id ?? null,
        confidence: top?.confidence ?? null,
        findings: stored.findings.length,
      },
    });
  });
}

function toRecord(row: Row): InvestigationRecord {
  return defined({
    id: text(row, "id"),
    incidentKey: optionalText(row, "incident_key"),
    state: text(row, "state"),
    status: text(row, "status") as SnapshotStatus,
    snapshot: optionalJson<unknown>(row, "snapshot"),
    report: optionalJson<Report>(row, "report"),
    createdAt: text(row, "created_at"),
    updatedAt: text(row, "updated_at"),
  });
}

export function getInvestigation(ctx: StoreContext, id: string): InvestigationRecord | undefined {
  const row = ctx.sql("SELECT * FROM investigations WHERE id = ?").get(id) as Row | undefined;
  return row ? toRecord(row) : undefined;
}

export function listInvestigations(ctx: StoreContext, options: ListInvestigationsOptions = {}): InvestigationSummary[] {
  const rows = ctx
    .sql(
      `SELECT i.id, i.incident_key, i.state, i.status, i.title, i.verdict, i.root_cause, i.confidence, i.created_at, i.updated_at,
         (SELECT count(*) FROM proposals p WHERE p.investigation_id = i.id AND p.status = 'pending') AS pending
       FROM investigations i
       WHERE (:states IS NULL OR i.state IN (SELECT value FROM json_each(:states)))
         AND (:status IS NULL OR i.status = :status)
       ORDER BY i.created_at DESC, i.rowid DESC
       LIMIT :limit`,
    )
    .all({
      states: options.states?.length ? JSON.stringify(options.states) : null,
      status: options.status ?? null,
      limit: options.limit ?? -1,
    }) as Row[];
  return rows.map((row) => {
    const rootCause = optionalText(row, "root_cause");
    return defined({
      id: text(row, "id"),
      incidentKey: optionalText(row, "incident_key"),
      state: text(row, "state"),
      status: text(row, "status") as SnapshotStatus,
      title: optionalText(row, "title"),
      verdict: optionalText(row, "verdict") as Report["verdict"] | undefined,
      rootCause: rootCause !== undefined ? { id: rootCause, confidence: Number(row.confidence ?? 0) } : undefined,
      pendingProposals: integer(row, "pending"),
      createdAt: text(row, "created_at"),
      updatedAt: text(row, "updated_at"),
    });
  });
}

/** Active investigations, oldest first; one without a snapshot never got past its start: run it afresh. */
export function resumableInvestigations(ctx: StoreContext): InvestigationRecord[] {
  const rows = ctx
    .sql("SELECT * FROM investigations WHERE status = 'active' ORDER BY created_at, rowid")
    .all() as Row[];
  return rows.map(toRecord);
}
