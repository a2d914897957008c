import { createHash } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/types.ts";
import type { NormalizedAlarm } from "../triggers/index.ts";
import type { ServeMetrics } from "./metrics.ts";
import type { WorkQueue } from "./work-queue.ts";

export type IntakeResult = {
  key: string;
  outcome: "investigation-started" | "attached" | "resolved" | "no-investigation" | "shed";
  investigationId?: string;
  reason?: string;
};

export interface IntakeDeps {
  store: Store;
  queue: WorkQueue;
  metrics: ServeMetrics;
  logger: Logger;
  /** Starts (or resumes) the durable investigation of an incident. */
  investigate: (investigationId: string, alarm: NormalizedAlarm) => Promise<void>;
}

/** One investigation per incident opening: derived from the incident key and when it opened. */
export function investigationIdFor(key: string, openedAt: string): string {
  return `inv-${createHash("sha256").update(`${key}\u0000${openedAt}`).digest("hex").slice(0, 16)}`;
}

/**
 * Turns one normalized alarm into at most one investigation: a new incident starts one, an alarm
 * for a running incident attaches to it, `resolved` closes it, an alarm naming no node (or a
 * cluster out of scope) is recorded with why nothing started. A full queue sheds the alarm before
 * anything is stored, so the sender's retry is not a duplicate.
 */
export function takeAlarm(alarm: NormalizedAlarm, deps: IntakeDeps): IntakeResult {
  const { store } = deps;
  const key = alarm.key;
  if (alarm.status === "resolved") {
    const resolved = store.resolveIncident(key, { source: alarm.receiver });
    store.recordAlarm({
      receiver: alarm.receiver,
      incident: alarm.incident,
      status: "resolved",
      incidentKey: key,
      outcome: "resolved",
    });
    return {
      key,
      outcome: "resolved",
      ...(resolved?.investigationId ? { investigationId: resolved.investigationId } : {}),
    };
  }
  if (alarm.noInvestigationReason) {
    store.recordAlarm({
      receiver: alarm.receiver,
      incident: alarm.incident,
      status: "firing",
      incidentKey: key,
      outcome: "no-investigation",
      reason: alarm.noInvestigationReason,
    });
    return { key, outcome: "no-investigation", reason: alarm.noInvestigationReason };
  }
  const existing = store.getIncident(key);
  if (!(existing && existing.status === "open")) {
    if (deps.queue.full()) {
      deps.metrics.shed();
      return { key, outcome: "shed", reason: "too many investigations queued" };
    }
  }
  const proposedId = investigationIdFor(key, alarm.incident.startsAt);
  const { incident, outcome } = store.atomically(() => {
    const opened = store.openIncident({
      key,
      ...(alarm.incident.cluster ? { cluster: alarm.incident.cluster } : {}),
      alarm: alarm.alarmName,
      nodes: alarm.incident.nodes,
      source: alarm.receiver,
      investigationId: proposedId,
    });
    store.recordAlarm({
      receiver: alarm.receiver,
      incident: alarm.incident,
      status: "firing",
      incidentKey: key,
      outcome: opened.outcome === "attached" ? "attached" : "investigation-started",
    });
    return opened;
  });
  const investigationId = incident.investigationId ?? proposedId;
  if (outcome === "attached") {
    deps.metrics.deduplicated(alarm.receiver);
    return { key, outcome: "attached", investigationId };
  }
  deps.queue.offer(investigationId, () => deps.investigate(investigationId, alarm));
  return { key, outcome: "investigation-started", investigationId };
}
