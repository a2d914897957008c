import { createHash } from "node:crypto";
import type { NodeRef } from "../domain/node-ref.ts";

const MAX_NODES_TEXT = 200;

function part(value: string): string {
  return value.trim().replaceAll("%", "%25").replaceAll("|", "%7C");
}

/**
 * The incident key: cluster, alarm (alert name or alarm ARN) and the affected nodes, normalized,
 * so one CloudWatch alarm through SNS and through EventBridge, or an Alertmanager group re-sent,
 * is one incident. A node counts by instance id when known, else by lowercased name; order and
 * duplicates do not matter. Long node lists are hashed to keep the key readable.
 */
export function incidentKey(input: { cluster?: string | undefined; alarm: string; nodes: readonly NodeRef[] }): string {
  const nodes = [...new Set(input.nodes.map((n) => (n.instanceId ?? n.name ?? "").trim().toLowerCase()).filter(Boolean))].sort();
  let nodesText = nodes.map(part).join(",");
  if (nodesText.length > MAX_NODES_TEXT) nodesText = `${nodes.length}-nodes:sha256:${createHash("sha256").update(nodes.join("\n")).digest("hex").slice(0, 32)}`;
  return [part(input.cluster?.toLowerCase() ?? "-"), part(input.alarm), nodesText || "-"].join("|");
}
