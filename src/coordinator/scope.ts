import type { TimeWindow } from "../domain/time.ts";
import type { InvestigationContext, NodeInfo, Scope } from "../domain/investigation.ts";

/** How far back evidence counts when nobody says (`--since` overrides). */
export const DEFAULT_LOOKBACK_MS = 24 * 3_600_000;
/** A bundle collected this long after the alarm still shows the incident's aftermath. */
const AFTERMATH_MS = 6 * 3_600_000;

/**
 * Decides which nodes an incident is about and the window evidence must fall in. Pure: an alarm
 * that names nodes none of which has evidence here is refused with the reason.
 */
export function resolveScope(
  context: Pick<InvestigationContext, "incident" | "window">,
  available: readonly NodeInfo[],
): Scope {
  const named = context.incident.nodes;
  let nodes: NodeInfo[];
  if (named.length === 0) nodes = [...available];
  else {
    nodes = available.filter((n) =>
      named.some(
        (r) =>
          (r.name !== undefined && (r.name === n.node || r.name.split(".")[0] === n.node.split(".")[0])) ||
          (r.instanceId !== undefined && r.instanceId === n.instanceId),
      ),
    );
  }
  const window = context.window ?? defaultWindow(context.incident.startsAt, nodes);
  if (available.length === 0) return { nodes: [], window, refused: "no node evidence is available" };
  if (nodes.length === 0) {
    const names = named.map((r) => r.name ?? r.instanceId).join(", ");
    return {
      nodes: [],
      window,
      refused: `the incident names ${names}, and no bundle here is from ${named.length === 1 ? "that node" : "those nodes"} (have: ${available.map((n) => n.node).join(", ")})`,
    };
  }
  return { nodes, window };
}

function defaultWindow(startsAt: string, nodes: readonly NodeInfo[]): TimeWindow {
  const at = Date.parse(startsAt);
  const collected = nodes
    .map((n) => n.collectedAt)
    .filter((t): t is number => t !== undefined && t >= at && t - at <= AFTERMATH_MS);
  const end = Math.max(at, ...collected);
  return { start: new Date(at - DEFAULT_LOOKBACK_MS).toISOString(), end: new Date(end).toISOString() };
}
