import type { CauseRule } from "./rule-types.ts";

/**
 * The rules: what each catalog id needs, what supports it, what argues against it, and what it
 * explains. The ONE module that holds the catalog's reasoning.
 */
export const CAUSE_RULES: readonly CauseRule[] = [
  {
    id: "runtime.pleg-unhealthy",
    requires: [{ kind: "kubelet.pleg-unhealthy", weight: 1.2, why: "PLEG unhealthy while the kubelet runs" }],
    contrary: [{ kind: ["kubelet.runtime-unavailable", "containerd.errors", "containerd.restarts"], minSeverity: "medium", weight: 1, why: "the runtime itself is failing, so PLEG is a symptom" }],
    summary: "The kubelet's pod lifecycle relist (PLEG) is too slow while the container runtime answers",
  },
  {
    id: "runtime.containerd-unhealthy",
    requires: [{ kind: ["kubelet.runtime-unavailable", "containerd.restarts"], weight: 1.4, why: "the kubelet cannot reach containerd" }],
    supports: [{ kind: "kubelet.pleg-unhealthy", weight: 0.3, why: "PLEG stalls follow a dead runtime" }],
    explains: ["runtime.pleg-unhealthy"],
    summary: "containerd is down, hung or erroring, and the kubelet cannot run pods",
  },
  {
    id: "node.registration-unauthorized",
    requires: [{ kind: "kubelet.unauthorized", weight: 1.5, why: "the API server answers Unauthorized to the kubelet" }],
    contrary: [{ kind: "kubelet.node-name-forbidden", weight: 1.2, why: "the credentials are valid but for another node name" }],
    summary: "The API server rejects the node's identity: its role is not mapped (aws-auth or access entries)",
  },
  {
    id: "node.registration-name-mismatch",
    requires: [{ kind: "kubelet.node-name-forbidden", weight: 1.8, why: "the node authorizer refuses the node's name" }],
    explains: ["node.registration-unauthorized"],
    summary: "The node's name is not the name its credentials allow (custom DHCP domain-name or hostname override)",
  },
  {
    id: "runtime.sandbox-image-unavailable",
    requires: [{ kind: ["kubelet.sandbox-image-pull-failed", "containerd.sandbox-image-pull-failed"], weight: 1.8, why: "the pause image cannot be pulled" }],
    supports: [{ kind: "kubelet.sandbox-create-failed", weight: 0.4, why: "every new pod fails sandbox creation" }],
    summary: "The pause (sandbox) image is gone from the node and cannot be pulled again, so no pod can start",
  },
  {
    id: "node.disk-pressure",
    requires: [{ kind: ["kubelet.image-gc-failed", "kubelet.disk-pressure", "storage.disk-full", "containerd.no-space"], weight: 1.3, why: "the node's disk is full" }],
    summary: "The node's disk is full and image garbage collection cannot free enough",
  },
  {
    id: "net.conntrack-exhaustion",
    requires: [{ kind: ["kernel.conntrack-table-full", "conntrack.table-near-full"], weight: 1.6, why: "the conntrack table is full and drops packets" }],
    summary: "The netfilter conntrack table is full and the kernel drops new connections",
  },
];
