import type { Incident } from "../domain/incident.ts";
import type { NodeRef } from "../domain/node-ref.ts";
import { appendAudit } from "./audit.ts";
import { defined, integer, json, optionalText, text, type Row, type StoreContext } from "./context.ts";
import { StoreError } from "./errors.ts";
import { createInvestigation } from "./investigations.ts";
import { redactForStore } from "./redact.ts";
import type {
  AlarmInput,
  AlarmRecord,
  IncidentRecord,
  IncidentStatus,
  OpenIncidentInput,
  OpenIncidentOutcome,
} from "./types.ts";

function toIncident(row: Row): IncidentRecord {
  return defined({
    key: text(row, "key"),
    cluster: optionalText(row, "cluster"),
    alarm: text(row, "alarm"),
    nodes: json<NodeRef[]>(row, "nodes"),
    status: text(row, "status") as IncidentStatus,
    investigationId: optionalText(row, "investigation_id"),
    firstSeen: text(row, "first_seen"),
    lastSeen: text(row, "last_seen"),
    resolvedAt: optionalText(row, "resolved_at"),
    alarmCount: integer(row, "alarm_count"),
    sources: json<string[]>(row, "sources"),
  });
}

function withSource(sources: string[], source: string): string {
  return JSON.stringify(sources.includes(source) ? sources : [...sources, source]);
}

// Keys are stored redacted, so lookups redact the same way to find them.
function storedKey(key: string): string {
  if (!key) throw new StoreError("invalid", "an incident needs a key");
  return redactForStore(key);
}

export function getIncident(ctx: StoreContext, key: string): IncidentRecord | undefined {
  const row = ctx.sql("SELECT * FROM incidents WHERE key = ?").get(storedKey(key)) as Row | undefined;
  return row ? toIncident(row) : undefined;
}

/**
 * One incident, one investigation, decided under the write lock: an alarm whose key has an open
 * incident attaches to its investigation; otherwise the incident opens (or reopens after a
 * resolve) together with a new investigation row, in the same transaction.
 */
export function openIncident(
  ctx: StoreContext,
  input: OpenIncidentInput,
): { incident: IncidentRecord; outcome: OpenIncidentOutcome } {
  const key = storedKey(input.key);
  const at = ctx.nowIso(input.at);
  const source = redactForStore(input.source);
  return ctx.tx(() => {
    const existing = getIncident(ctx, key);
    if (existing?.status === "open" && existing.investigationId) {
      ctx
        .sql(
          "UPDATE incidents SET last_seen = max(last_seen, :at), alarm_count = alarm_count + 1, sources = :sources WHERE key = :key",
        )
        .run({ key, at, sources: withSource(existing.sources, source) });
      return { incident: getIncident(ctx, key) as IncidentRecord, outcome: "attached" };
    }
    createInvestigation(ctx, input.investigationId, key);
    if (existing) {
      ctx
        .sql(
          `UPDATE incidents SET status = 'open', investigation_id = :investigationId, last_seen = max(last_seen, :at), resolved_at = NULL,
             alarm_count = alarm_count + 1, sources = :sources WHERE key = :key`,
        )
        .run({ key, at, investigationId: input.investigationId, sources: withSource(existing.sources, source) });
    } else {
      ctx
        .sql(
          `INSERT INTO incidents (key, cluster, alarm, nodes, status, investigation_id, first_seen, last_seen, alarm_count, sources)
           VALUES (:key, :cluster, :alarm, :nodes, 'open', :investigationId, :at, :at, 1, :sources)`,
        )
        .run({
          key,
          cluster: input.cluster === undefined ? null : redactForStore(input.cluster),
          alarm: redactForStore(input.alarm),
          nodes: JSON.stringify(redactForStore(input.nodes)),
          investigationId: input.investigationId,
          at,
          sources: JSON.stringify([source]),
        });
    }
    const outcome: OpenIncidentOutcome = existing ? "reopened" : "opened";
    appendAudit(ctx, {
      type: "incident",
      subject: key,
      data: { event: outcome, investigationId: input.investigationId, source },
    });
    return { incident: getIncident(ctx, key) as IncidentRecord, outcome };
  });
}

export function resolveIncident(
  ctx: StoreContext,
  rawKey: string,
  options: { at?: number; source?: string } = {},
): IncidentRecord | undefined {
  const key = storedKey(rawKey);
  const at = ctx.nowIso(options.at);
  return ctx.tx(() => {
    const existing = getIncident(ctx, key);
    if (!existing || existing.status === "resolved") return existing;
    const sources = options.source
      ? withSource(existing.sources, redactForStore(options.source))
      : JSON.stringify(existing.sources);
    ctx
      .sql(
        "UPDATE incidents SET status = 'resolved', resolved_at = :at, last_seen = max(last_seen, :at), sources = :sources WHERE key = :key",
      )
      .run({ key, at, sources });
    appendAudit(ctx, {
      type: "incident",
      subject: key,
      data: {
        event: "resolved",
        ...(existing.investigationId ? { investigationId: existing.investigationId } : {}),
        ...(options.source ? { source: options.source } : {}),
      },
    });
    return getIncident(ctx, key);
  });
}

function toAlarm(row: Row): AlarmRecord {
  return defined({
    id: integer(row, "id"),
    receiver: text(row, "receiver"),
    receivedAt: text(row, "received_at"),
    status: text(row, "status") as AlarmRecord["status"],
    incidentKey: optionalText(row, "incident_key"),
    outcome: text(row, "outcome") as AlarmRecord["outcome"],
    reason: optionalText(row, "reason"),
    incident: json<Incident>(row, "alarm"),
  });
}

/** Records a received alarm, normalized and redacted, with what fathom did about it. */
export function recordAlarm(ctx: StoreContext, input: AlarmInput): AlarmRecord {
  const stored = redactForStore({
    ...input,
    incidentKey: input.incidentKey === undefined ? undefined : storedKey(input.incidentKey),
  });
  return ctx.tx(() => {
    const result = ctx
      .sql(
        `INSERT INTO alarms (receiver, received_at, status, incident_key, outcome, reason, alarm)
         VALUES (:receiver, :receivedAt, :status, :incidentKey, :outcome, :reason, :alarm)`,
      )
      .run({
        receiver: stored.receiver,
        receivedAt: ctx.nowIso(input.receivedAt),
        status: stored.status,
        incidentKey: stored.incidentKey ?? null,
        outcome: stored.outcome,
        reason: stored.reason ?? null,
        alarm: JSON.stringify(stored.incident),
      });
    return toAlarm(ctx.sql("SELECT * FROM alarms WHERE id = ?").get(result.lastInsertRowid) as Row);
  });
}

export function listAlarms(ctx: StoreContext, options: { incidentKey?: string; limit?: number } = {}): AlarmRecord[] {
  const rows = ctx
    .sql("SELECT * FROM alarms WHERE (:key IS NULL OR incident_key = :key) ORDER BY id DESC LIMIT :limit")
    .all({
      key: options.incidentKey === undefined ? null : storedKey(options.incidentKey),
      limit: options.limit ?? -1,
    }) as Row[];
  return rows.map(toAlarm);
}
