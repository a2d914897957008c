import { NodeNameSchema, type NodeRef } from "../domain/node-ref.ts";

/**
 * What an alarm points at: the nodes and the cluster, read from Prometheus labels and annotations
 * or CloudWatch dimensions. The one place that knows which label and dimension names carry them.
 */

/** Labels whose value names a node directly (node-exporter, kube-state-metrics, kubelet, cAdvisor). */
export const NODE_LABELS = [
  "node",
  "kubernetes_node",
  "nodename",
  "node_name",
  "exported_node",
  "k8s_node_name",
] as const;
/** Labels whose value is an EC2 instance id. */
export const INSTANCE_ID_LABELS = [
  "instance_id",
  "InstanceId",
  "instanceId",
  "ec2_instance_id",
  "exported_instance_id",
] as const;
/**
 * `instance` is the scrape target: the node for node-exporter and the kubelet, but the exporter's own
 * pod for kube-state-metrics. It is read only when no label above names a node.
 */
export const ADDRESS_LABEL = "instance";
/** Labels whose value names the cluster. */
export const CLUSTER_LABELS = [
  "cluster",
  "cluster_name",
  "eks_cluster",
  "eks_cluster_name",
  "k8s_cluster",
  "kubernetes_cluster",
] as const;

/** CloudWatch dimensions (EC2, Container Insights) that carry a node or the cluster. */
export const INSTANCE_ID_DIMENSIONS = ["InstanceId"] as const;
export const NODE_NAME_DIMENSIONS = ["NodeName", "Node", "node_name", "kubernetes.node"] as const;
export const CLUSTER_DIMENSIONS = ["ClusterName", "cluster_name"] as const;

const MAX_NODES = 100;
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
// EKS "resource name" hostnames embed the instance id: i-0123456789abcdef0.us-west-2.compute.internal
const RESOURCE_NAME = /^(i-[0-9a-f]{17})\.[a-z0-9.-]+$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const EC2_NAME = /^(?:ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}|i-[0-9a-f]{17})(?:\.[a-z0-9-]+)*$|\.internal$/;
const PORT_SUFFIX = /:\d{1,5}$/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

// Free-text patterns for annotations ("Node ip-10-0-1-2.ec2.internal is NotReady").
const TEXT_INSTANCE_ID = /\bi-[0-9a-f]{17}\b/g;
const TEXT_NODE_NAME =
  /\b(?:ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}|i-[0-9a-f]{17})(?:\.[a-z0-9-]+)*\.(?:compute|ec2)\.internal\b/g;

/**
 * One value as a node: an instance id, a node name, or a scrape address (`10.0.1.2:9100`). `ec2Only`
 * (for the ambiguous `instance` label) accepts only addresses and EC2-shaped names, so that
 * `localhost:9090` or `prometheus:9090` never becomes a node.
 */
export function readNodeValue(raw: string, ec2Only = false): NodeRef | undefined {
  let value = raw.trim().toLowerCase();
  if (value.length === 0 || value.length > 300 || value.includes("://") || value.startsWith("[")) return undefined;
  if (INSTANCE_ID.test(value)) return { instanceId: value };
  value = value.replace(PORT_SUFFIX, "");
  const ip = IPV4.exec(value);
  // A bare private address becomes the EKS default hostname's first label; scope matching compares
  // first labels, so `ip-10-0-1-2` finds the bundle of ip-10-0-1-2.ec2.internal.
  if (ip)
    return ip.slice(1).every((octet) => Number(octet) <= 255) ? { name: `ip-${ip.slice(1).join("-")}` } : undefined;
  if (!NodeNameSchema.safeParse(value).success) return undefined;
  if (ec2Only && !EC2_NAME.test(value)) return undefined;
  const resource = RESOURCE_NAME.exec(value);
  return resource ? { name: value, instanceId: resource[1] } : { name: value };
}

/** A cluster name as found in a label or dimension, or undefined when it is not one. */
export function readClusterValue(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  return value && CLUSTER_NAME.test(value) ? value : undefined;
}

/** Node names and instance ids found in free text (annotations), in order of appearance. */
export function findNodesInText(text: string): NodeRef[] {
  const lower = text.slice(0, 65_536).toLowerCase();
  const refs: NodeRef[] = [];
  for (const match of lower.matchAll(TEXT_NODE_NAME)) {
    const ref = readNodeValue(match[0]);
    if (ref) refs.push(ref);
  }
  for (const match of lower.matchAll(TEXT_INSTANCE_ID)) refs.push({ instanceId: match[0] });
  return refs;
}

/**
 * Merges refs into a stable, de-duplicated list. A bare `ip-a-b-c-d` is dropped when a full name
 * starting with it is present; one name and one instance id from the same alarm are the same node.
 */
export function mergeNodes(refs: readonly NodeRef[]): NodeRef[] {
  const names = new Set<string>();
  const ids = new Set<string>();
  const paired = new Map<string, string>();
  for (const ref of refs) {
    if (ref.name) names.add(ref.name);
    if (ref.instanceId) ids.add(ref.instanceId);
    if (ref.name && ref.instanceId) paired.set(ref.name, ref.instanceId);
  }
  for (const name of names) {
    if (!name.includes(".") && [...names].some((other) => other !== name && other.startsWith(`${name}.`)))
      names.delete(name);
  }
  const pairedIds = new Set(paired.values());
  const out: NodeRef[] = [];
  const loneIds = [...ids].filter((id) => !pairedIds.has(id));
  const loneNames = [...names].filter((name) => !paired.has(name));
  if (loneNames.length === 1 && loneIds.length === 1 && paired.size === 0) {
    out.push({ name: loneNames[0] as string, instanceId: loneIds[0] as string });
  } else {
    for (const [name, instanceId] of paired) if (names.has(name)) out.push({ name, instanceId });
    for (const name of loneNames) out.push({ name });
    for (const instanceId of loneIds) out.push({ instanceId });
  }
  return out
    .sort((a, b) => (sortToken(a) < sortToken(b) ? -1 : sortToken(a) > sortToken(b) ? 1 : 0))
    .slice(0, MAX_NODES);
}

function sortToken(ref: NodeRef): string {
  return `${ref.name ?? ""}\u0000${ref.instanceId ?? ""}`;
}

export interface AlertTarget {
  nodes: NodeRef[];
  cluster?: string;
  /** Label names whose values went into `nodes` or `cluster`: the incident key carries them normalized. */
  consumedLabels: Set<string>;
}

/** Reads the nodes and cluster of an Alertmanager alert from its labels, then its annotations. */
export function readAlertTarget(
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>>,
): AlertTarget {
  const consumedLabels = new Set<string>();
  const refs: NodeRef[] = [];
  for (const name of [...NODE_LABELS, ...INSTANCE_ID_LABELS]) {
    const value = labels[name];
    const ref = value === undefined ? undefined : readNodeValue(value);
    if (ref) {
      refs.push(ref);
      consumedLabels.add(name);
    }
  }
  const address = labels[ADDRESS_LABEL];
  if (refs.length > 0) {
    // With a node named, `instance` is either that node or the exporter's address: not identity.
    if (address !== undefined) consumedLabels.add(ADDRESS_LABEL);
  } else if (address !== undefined) {
    const ref = readNodeValue(address, true);
    if (ref) {
      refs.push(ref);
      consumedLabels.add(ADDRESS_LABEL);
    }
  }
  if (refs.length === 0) {
    for (const name of [...NODE_LABELS, ...INSTANCE_ID_LABELS]) {
      const ref = annotations[name] === undefined ? undefined : readNodeValue(annotations[name] as string);
      if (ref) refs.push(ref);
    }
  }
  if (refs.length === 0) for (const value of Object.values(annotations)) refs.push(...findNodesInText(value));

  let cluster: string | undefined;
  for (const name of CLUSTER_LABELS) {
    cluster = readClusterValue(labels[name]);
    if (cluster) {
      consumedLabels.add(name);
      break;
    }
  }
  return { nodes: mergeNodes(refs), ...(cluster ? { cluster } : {}), consumedLabels };
}

export interface Dimension {
  name: string;
  value: string;
}

/** Reads the nodes and cluster of a CloudWatch alarm from its metrics' dimensions. */
export function readDimensionTarget(dimensions: readonly Dimension[]): { nodes: NodeRef[]; cluster?: string } {
  const refs: NodeRef[] = [];
  let cluster: string | undefined;
  for (const { name, value } of dimensions) {
    if (
      (INSTANCE_ID_DIMENSIONS as readonly string[]).includes(name) ||
      (NODE_NAME_DIMENSIONS as readonly string[]).includes(name)
    ) {
      const ref = readNodeValue(value);
      if (ref) refs.push(ref);
    } else if (cluster === undefined && (CLUSTER_DIMENSIONS as readonly string[]).includes(name)) {
      cluster = readClusterValue(value);
    }
  }
  return { nodes: mergeNodes(refs), ...(cluster ? { cluster } : {}) };
}
