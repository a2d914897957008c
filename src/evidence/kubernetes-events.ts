import { readFile } from "node:fs/promises";
import YAML from "yaml";
import { z } from "zod";
import { EvidenceError } from "./errors.ts";

/** The bundle path under which a node's Kubernetes events are overlaid (no collector writes it). */
export const EVENTS_MEMBER = "fathom/kubernetes-events.json";
const MAX_EVENTS_BYTES = 64 * 1024 * 1024;

const ObjectRefSchema = z
  .object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() })
  .passthrough();

/** One core/v1 or events.k8s.io/v1 Event, as kubectl prints it; only what fathom reads. */
export const KubernetesEventSchema = z
  .object({
    type: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
    note: z.string().optional(),
    count: z.number().int().nonnegative().optional(),
    firstTimestamp: z.string().nullable().optional(),
    lastTimestamp: z.string().nullable().optional(),
    eventTime: z.string().nullable().optional(),
    involvedObject: ObjectRefSchema.optional(),
    regarding: ObjectRefSchema.optional(),
    source: z.object({ component: z.string().optional(), host: z.string().optional() }).passthrough().optional(),
    reportingComponent: z.string().optional(),
    reportingController: z.string().optional(),
    reportingInstance: z.string().optional(),
    series: z
      .object({ count: z.number().optional(), lastObservedTime: z.string().optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type KubernetesEvent = z.infer<typeof KubernetesEventSchema>;

/**
 * Parses `kubectl get events -o json|yaml` (a List with `items`, a bare array, or one Event) and
 * refuses anything else with the file and what is wrong.
 */
export function parseKubernetesEvents(text: string, label: string): KubernetesEvent[] {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new EvidenceError(label, `${label} is not valid JSON or YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const list = Array.isArray(raw)
    ? raw
    : raw && typeof raw === "object" && Array.isArray((raw as { items?: unknown }).items)
      ? (raw as { items: unknown[] }).items
      : raw && typeof raw === "object" && "reason" in raw
        ? [raw]
        : undefined;
  if (!list)
    throw new EvidenceError(
      label,
      `${label} is not kubectl events output: expected a List with "items", an array, or one Event`,
    );
  const events: KubernetesEvent[] = [];
  list.forEach((item, index) => {
    const parsed = KubernetesEventSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EvidenceError(
        label,
        `${label}: item ${index} is not an Event (${issue?.path.join(".")}: ${issue?.message})`,
      );
    }
    events.push(parsed.data);
  });
  return events;
}

export async function readKubernetesEventsFile(path: string): Promise<KubernetesEvent[]> {
  const data = await readFile(path).catch((error: Error) => {
    throw new EvidenceError(path, `cannot read events file ${path}: ${error.message}`);
  });
  if (data.length > MAX_EVENTS_BYTES)
    throw new EvidenceError(path, `events file ${path} is larger than ${MAX_EVENTS_BYTES} bytes`);
  return parseKubernetesEvents(data.toString("utf8"), path);
}

/**
 * The events that concern one node: reported by its kubelet (source.host / reportingInstance), about
 * the Node object itself, or naming the node in their message. Controller events without a host
 * (attach/detach) that name no node are kept for every node: they may concern any of them.
 */
export function eventsForNode(
  events: readonly KubernetesEvent[],
  node: string,
  instanceId?: string,
): KubernetesEvent[] {
  const short = node.split(".")[0] ?? node;
  return events.filter((e) => {
    const host = e.source?.host ?? e.reportingInstance;
    const object = e.involvedObject ?? e.regarding;
    const text = e.message ?? e.note ?? "";
    if (host) return host === node || host.split(".")[0] === short;
    if (object?.kind === "Node") return object.name === node || object.name?.split(".")[0] === short;
    if (text.includes(node) || (instanceId !== undefined && text.includes(instanceId))) return true;
    return !/ip-\d+-\d+-\d+-\d+/.test(text);
  });
}
