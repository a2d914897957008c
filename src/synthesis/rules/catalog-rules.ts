import type { IdentifiedFinding } from "../../domain/investigation.ts";
import type { CauseRule, Signal } from "./rule-types.ts";

/**
 * The rules: for every catalog id, the evidence it requires, what supports it, what argues against
 * it, and which causes it explains (they then rank below it on the same node). The ONE module that
 * holds the catalog's reasoning. Rules read structured facts (pool counts, counters, rule sets,
 * configuration) through the findings' kinds and typed attributes, never message text.
 */

const list = (f: IdentifiedFinding, key: string): string[] => {
  const v = f.attributes[key];
  return Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : [];
};
const has = (key: string, value: string) => (f: IdentifiedFinding) => list(f, key).includes(value);
const num = (f: IdentifiedFinding, key: string): number | undefined =>
  typeof f.attributes[key] === "number" ? (f.attributes[key] as number) : undefined;

const signal = (
  kind: string | readonly string[],
  weight: number,
  why: string,
  extra: Partial<Signal> = {},
): Signal => ({ kind, weight, why, ...extra });

/** Sandbox failures, whatever the cause: a shared symptom that never decides between causes alone. */
const SANDBOX_SYMPTOMS = ["kubelet.sandbox-create-failed", "events.sandbox-failed"];
const IP_SYMPTOMS = [
  "kubelet.cni-ip-assign-failed",
  "cni.ip-assign-failed",
  "ipamd.datastore-empty",
  "ipamd.pool-exhausted",
];

export const CAUSE_RULES: readonly CauseRule[] = [
  // ── network lane ──────────────────────────────────────────────────────────────────────────────
  {
    id: "cni.subnet-exhausted",
    requires: [
      signal("ipamd.subnet-exhausted", 1.8, "EC2 says the subnet has no free addresses (or no free /28)"),
      signal("ipamd.api-errors", 1.5, "IPAMD's EC2 error counters show subnet exhaustion", {
        where: has("classes", "subnet-exhausted"),
      }),
    ],
    supports: [
      signal("ipamd.no-ips-no-enis", 0.5, "IPAMD holds no address at all"),
      signal(IP_SYMPTOMS, 0.3, "pods cannot get addresses"),
      signal(SANDBOX_SYMPTOMS, 0.2, "sandboxes fail"),
    ],
    contrary: [
      signal("ipamd.permission-denied", 1.0, "EC2 refuses for lack of permission, not space"),
      signal("ipamd.at-max-enis", 0.6, "the node is at its ENI limit, so it stopped asking EC2", {
        minSeverity: "medium",
      }),
    ],
    explains: ["cni.ipamd-down"],
    summary:
      "The node's subnet has no free IPv4 addresses (or no contiguous /28 for prefix delegation), so new pods get no IP",
  },
  {
    id: "cni.node-ip-capacity",
    requires: [
      signal("ipamd.max-pods-above-capacity", 1.6, "maxPods exceeds what the ENIs can address"),
      signal("ipamd.at-max-enis", 1.3, "every ENI the instance can hold is attached and full", {
        minSeverity: "medium",
      }),
      signal("ipamd.eni-limit-reached", 1.2, "IPAMD hit the instance's ENI limit", { minSeverity: "medium" }),
      signal("ipamd.pool-exhausted", 1.2, "the pool is full at the instance's ENI limit", {
        where: (f) => f.attributes.atMaxEnis === true,
      }),
    ],
    supports: [signal(IP_SYMPTOMS, 0.4, "pods cannot get addresses"), signal(SANDBOX_SYMPTOMS, 0.2, "sandboxes fail")],
    contrary: [
      signal("ipamd.subnet-exhausted", 1.5, "EC2 refuses for lack of subnet space: the subnet is the limit"),
      signal("ipamd.ec2-throttled", 0.8, "EC2 throttles the allocations", { minSeverity: "medium" }),
      signal("ipamd.permission-denied", 1.0, "EC2 refuses for lack of permission"),
    ],
    summary: "The node runs more pods than its ENIs can address (max-pods above ENI × IP capacity); the subnet is fine",
  },
  {
    id: "cni.ec2-api-throttled",
    requires: [
      signal("ipamd.ec2-throttled", 1.5, "EC2 throttles IPAMD", { minSeverity: "medium" }),
      signal("ipamd.api-errors", 1.2, "IPAMD's EC2 error counters show throttling", {
        where: has("classes", "throttled"),
        minSeverity: "medium",
      }),
    ],
    supports: [signal(IP_SYMPTOMS, 0.4, "pods wait for addresses"), signal(SANDBOX_SYMPTOMS, 0.2, "sandboxes fail")],
    contrary: [
      signal("ipamd.pool", 0.5, "IPAMD still has free addresses: no pod waits for one", {
        minSeverity: "info",
        where: (f) => (num(f, "freeIps") ?? 0) > 0,
      }),
    ],
    summary: "EC2 API throttling stalls IPAMD's address allocation, so new pods wait for an IP",
  },
  {
    id: "cni.ipamd-permission-denied",
    requires: [
      signal("ipamd.permission-denied", 1.8, "EC2 refuses IPAMD's calls for lack of permission"),
      signal("ipamd.api-errors", 1.4, "IPAMD's EC2 error counters show UnauthorizedOperation", {
        where: has("classes", "permission-denied"),
      }),
    ],
    supports: [signal(IP_SYMPTOMS, 0.3, "pods cannot get addresses"), signal(SANDBOX_SYMPTOMS, 0.2, "sandboxes fail")],
    explains: ["cni.subnet-exhausted", "cni.node-ip-capacity", "cni.ipamd-down"],
    contrary: [
      signal("cni.requests", 0.3, "pod network adds keep succeeding", {
        minSeverity: "info",
        where: (f) => (num(f, "failedAdds") ?? 0) === 0 && (num(f, "successfulAdds") ?? 0) > 0,
      }),
    ],
    summary: "The node (or IRSA) role lacks the VPC CNI policy, so IPAMD cannot assign addresses or attach ENIs",
  },
  {
    id: "cni.ipamd-down",
    requires: [
      signal("cni.ipamd-unreachable", 1.5, "the CNI plugin cannot reach IPAMD on 127.0.0.1:50051"),
      signal("ipamd.introspection-empty", 1.0, "IPAMD did not answer the collector's introspection"),
      signal("ipamd.restart", 1.1, "IPAMD is crash-looping", { minSeverity: "high" }),
      signal("kubelet.sandbox-create-failed", 1.0, "sandboxes fail because IPAMD is unreachable", {
        where: has("causes", "ipamd-unreachable"),
      }),
    ],
    supports: [
      signal("kubelet.network-not-ready", 0.6, "the kubelet reports the CNI not ready"),
      signal("cni-config.conflist-missing", 0.5, "IPAMD never wrote the CNI config"),
      signal("events.sandbox-failed", 0.3, "sandboxes fail", { where: has("causes", "ipamd-unreachable") }),
    ],
    contrary: [
      signal(
        "ipamd.introspection-skipped",
        0.5,
        "the collector skipped introspection, so empty IPAMD files mean nothing",
        { minSeverity: "info" },
      ),
    ],
    summary: "aws-node / IPAMD is not serving, so the CNI plugin cannot get addresses for new pods",
  },
  {
    id: "net.imds-unreachable",
    requires: [
      signal("ipamd.imds-error", 1.4, "IPAMD cannot read instance metadata", { minSeverity: "medium" }),
      signal("csi.imds-error", 1.2, "a CSI driver cannot read instance metadata", { minSeverity: "medium" }),
    ],
    supports: [
      signal("cni.ipamd-unreachable", 0.3, "IPAMD never came up"),
      signal("kubelet.network-not-ready", 0.2, "the CNI is not ready"),
    ],
    explains: ["cni.ipamd-down", "storage.efs-mount-timeout"],
    contrary: [
      signal("ipamd.pool", 0.3, "IPAMD built its pool, which needs instance metadata", {
        minSeverity: "info",
        where: (f) => (num(f, "totalIps") ?? 0) > 0,
      }),
    ],
    summary:
      "Instance metadata (169.254.169.254) is unreachable where it is needed (hop limit, IMDSv2-only, hostNetwork removed)",
  },
  {
    id: "net.policy-routing-broken",
    requires: [
      signal("routes.pod-rule-missing", 1.6, "pod IPs have no policy rule or route"),
      signal("routes.eni-table-missing", 1.6, "a secondary ENI's route table has no default route"),
    ],
    contrary: [
      signal("routes.summary", 0.4, "every pod IP has its rule and host route", {
        minSeverity: "info",
        where: (f) =>
          (num(f, "podIPsChecked") ?? 0) > 0 &&
          num(f, "toPodRules") === num(f, "podIPsChecked") &&
          num(f, "podHostRoutes") === num(f, "podIPsChecked"),
      }),
    ],
    summary: "Per-pod ip rules or per-ENI route tables are missing, so affected pods cannot send or receive traffic",
  },
  {
    id: "net.mtu-mismatch",
    requires: [
      signal("cni-config.mtu-mismatch", 1.3, "pods use a larger MTU than the node's uplink"),
      signal("kernel.fragmentation-needed", 1.2, "the kernel drops packets that need fragmentation"),
    ],
    supports: [signal("cni-config.jumbo-mtu", 0.3, "pods and ENIs use jumbo frames", { minSeverity: "info" })],
    contrary: [
      signal("cni-config.settings", 0.2, "the CNI runs the standard MTU", {
        minSeverity: "info",
        where: (f) => num(f, "mtu") !== undefined && (num(f, "mtu") as number) <= 1500,
      }),
    ],
    summary: "A jumbo-frame MTU is used on a path that cannot carry it, so large packets are dropped",
  },
  {
    id: "net.ena-allowance-exceeded",
    requires: [
      signal(
        ["ena.pps-exceeded", "ena.bandwidth-exceeded", "ena.conntrack-exceeded"],
        1.4,
        "the instance exceeds an ENA allowance",
      ),
      signal("ena.linklocal-exceeded", 0.9, "link-local traffic exceeds its ENA allowance"),
    ],
    supports: [signal("kernel.ena-reset", 0.2, "the ENA driver reset")],
    contrary: [
      signal("coredns.upstream-timeouts", 0.8, "the dropped link-local traffic is DNS to the VPC resolver", {
        minSeverity: "medium",
      }),
    ],
    summary: "The instance exceeds an ENA allowance (pps, bandwidth, conntrack or link-local) and packets are dropped",
  },

  // ── service lane ──────────────────────────────────────────────────────────────────────────────
  {
    id: "dns.coredns-unreachable",
    requires: [
      signal("iptables.kube-dns-missing", 1.6, "no service rules for kube-dns"),
      signal("iptables.kube-dns-no-endpoints", 1.6, "kube-dns has no endpoints"),
      signal("coredns.loop-detected", 1.3, "CoreDNS exits in a forwarding loop, leaving no DNS endpoints"),
    ],
    contrary: [signal("iptables.kube-proxy-chains-missing", 1.0, "no service routes at all: kube-proxy is the cause")],
    summary: "Pods cannot reach the cluster DNS service (no kube-dns service rules or no endpoints behind them)",
  },
  {
    id: "dns.clusterdns-mismatch",
    requires: [
      signal("dns.clusterdns-mismatch", 1.8, "the kubelet's clusterDNS is not the kube-dns ClusterIP"),
      signal("dns.cluster-dns-unset", 1.2, "the kubelet hands pods no cluster DNS"),
    ],
    contrary: [
      signal("dns.cluster-dns", 0.6, "the kubelet's clusterDNS is the kube-dns ClusterIP", {
        minSeverity: "info",
        where: (f) =>
          Array.isArray(f.attributes.clusterDNS) &&
          typeof f.attributes.kubeDnsClusterIP === "string" &&
          (f.attributes.clusterDNS as string[])[0] === f.attributes.kubeDnsClusterIP,
      }),
    ],
    summary: "The kubelet hands pods a nameserver that is not the kube-dns service IP",
  },
  {
    id: "dns.vpc-resolver-throttled",
    requires: [
      signal("coredns.upstream-timeouts", 1.2, "CoreDNS's queries to the VPC resolver time out", {
        minSeverity: "medium",
      }),
    ],
    supports: [
      signal("ena.linklocal-exceeded", 0.9, "link-local packets over the ENI's 1024 pps allowance are dropped"),
    ],
    contrary: [
      signal("ena.allowances", 0.3, "the link-local allowance was never exceeded", {
        minSeverity: "info",
        where: (f) => (num(f, "linklocal_allowance_exceeded") ?? num(f, "linklocalAllowanceExceeded") ?? -1) === 0,
      }),
    ],
    explains: ["net.ena-allowance-exceeded"],
    summary: "The VPC resolver's per-ENI packet limit drops DNS queries from CoreDNS",
  },
  {
    id: "dns.conntrack-race",
    requires: [signal("conntrack.insert-failed", 1.3, "conntrack inserts lose the race (insert_failed > 0)")],
    supports: [signal("coredns.servfail", 0.2, "DNS answers fail")],
    contrary: [
      signal("conntrack.stats", 1.5, "insert_failed is 0", {
        minSeverity: "info",
        where: (f) => num(f, "insertFailed") === 0 || num(f, "insert_failed") === 0,
      }),
      signal(
        ["kernel.conntrack-table-full", "messages.conntrack-table-full"],
        0.8,
        "the table is full: failed inserts follow from that",
      ),
    ],
    summary: "Parallel UDP A/AAAA lookups lose the conntrack insert race, giving 5-second DNS delays",
  },
  {
    id: "net.conntrack-exhaustion",
    requires: [
      signal(
        ["kernel.conntrack-table-full", "messages.conntrack-table-full"],
        1.7,
        "the kernel drops packets: conntrack table full",
      ),
      signal(
        ["conntrack.table-near-full", "sysctl.conntrack-near-max"],
        1.2,
        "conntrack entries are at nf_conntrack_max",
        { minSeverity: "high" },
      ),
    ],
    supports: [
      signal("conntrack.drops", 0.4, "conntrack drops and early drops"),
      signal(["conntrack.table-near-full", "sysctl.conntrack-near-max"], 0.3, "the table is nearly full"),
    ],
    explains: ["dns.conntrack-race"],
    contrary: [
      signal("conntrack.entries", 0.4, "the table is far from nf_conntrack_max", {
        minSeverity: "info",
        where: (f) => (num(f, "percent") ?? 100) < 50,
      }),
    ],
    summary: "The netfilter conntrack table is full and the kernel drops new connections",
  },
  {
    id: "kube-proxy.not-running",
    requires: [
      signal("iptables.kube-proxy-chains-missing", 1.6, "no service rules are programmed"),
      signal("kube-proxy.crash", 1.3, "kube-proxy crashed"),
    ],
    supports: [
      signal("kube-proxy.crash", 0.3, "kube-proxy crashed"),
      signal("kube-proxy.no-log-lines", 0.3, "kube-proxy never logged here", { minSeverity: "info" }),
    ],
    explains: ["dns.coredns-unreachable"],
    contrary: [
      signal("kube-proxy.syncs", 0.5, "kube-proxy keeps syncing its rules", {
        minSeverity: "info",
        where: (f) => (num(f, "syncs") ?? 0) > 0,
      }),
    ],
    summary: "kube-proxy is absent or dead on the node, so Services do not route",
  },
  {
    id: "kube-proxy.sync-failure",
    requires: [
      signal("kube-proxy.restore-failed", 1.5, "iptables-restore fails"),
      signal("kube-proxy.xtables-lock", 1.0, "another agent holds the xtables lock", { minSeverity: "medium" }),
      signal("kube-proxy.sync-slow", 1.0, "rule syncs take too long", { minSeverity: "medium" }),
      signal("iptables.duplicate-rules", 1.0, "rules are duplicated (rule explosion)", { minSeverity: "medium" }),
    ],
    supports: [signal("kube-proxy.xtables-lock", 0.3, "xtables lock contention")],
    contrary: [
      signal("kube-proxy.syncs", 0.3, "rule syncs are fast", {
        minSeverity: "info",
        where: (f) => (num(f, "maxSeconds") ?? 99) < 1,
      }),
    ],
    summary: "kube-proxy cannot program its rules (iptables-restore failures, xtables lock, rule explosion)",
  },
  {
    id: "netpol.denied-by-policy",
    requires: [signal("netpol.deny-verdicts", 1.3, "the policy agent denies the flows")],
    contrary: [
      signal(
        ["netpol.agent-errors", "netpol.agent-panic", "netpol.conntrack-cleanup-race"],
        1.0,
        "the agent itself is failing",
      ),
    ],
    summary: "A NetworkPolicy, enforced as written, blocks the flow",
  },
  {
    id: "netpol.agent-failure",
    requires: [
      signal("netpol.conntrack-cleanup-race", 1.8, "the agent's conntrack cleanup drops replies of live flows"),
      signal("netpol.agent-panic", 1.7, "the agent panicked"),
      signal("netpol.agent-errors", 1.3, "the agent's eBPF programs fail", { minSeverity: "medium" }),
    ],
    supports: [signal("netpol.deny-verdicts", 0.3, "flows are denied")],
    explains: ["netpol.denied-by-policy"],
    contrary: [
      signal("netpol.enforcement", 0.4, "network policy enforcement is off on this node", {
        minSeverity: "info",
        where: (f) => f.attributes.enabled === false,
      }),
    ],
    summary: "The network policy agent itself misbehaves (eBPF failures, conntrack cleanup race, panic)",
  },

  // ── runtime lane ──────────────────────────────────────────────────────────────────────────────
  {
    id: "node.registration-unauthorized",
    requires: [signal("kubelet.unauthorized", 1.6, "the API server answers Unauthorized to the kubelet")],
    supports: [signal("apiserver.http-error", 0.2, "the endpoint refuses requests")],
    contrary: [
      signal("kubelet.node-name-forbidden", 1.4, "the credentials are valid but for another node name"),
      signal("node.hostname-mismatch", 0.5, "the hostname is not the EC2 private DNS name"),
    ],
    explains: ["cni.ipamd-down"],
    summary: "The API server rejects the node's identity: its IAM role is not mapped (aws-auth or access entries)",
  },
  {
    id: "node.registration-name-mismatch",
    requires: [signal("kubelet.node-name-forbidden", 1.9, "the node authorizer refuses the node's name")],
    supports: [
      signal("node.hostname-mismatch", 0.5, "the hostname is not the EC2 private DNS name"),
      signal("kubelet-config.hostname-override", 0.1, "a hostname override is set", { minSeverity: "info" }),
    ],
    explains: ["node.registration-unauthorized", "cni.ipamd-down"],
    contrary: [signal("kubelet.node-registered", 0.3, "the node registered under its name", { minSeverity: "info" })],
    summary: "The node's name is not the name its credentials allow (custom DHCP domain-name or a hostname override)",
  },
  {
    id: "node.bootstrap-misconfigured",
    requires: [
      signal(
        ["kubelet-config.server-invalid", "bootstrap.endpoint-invalid", "kubelet.apiserver-url-invalid"],
        1.8,
        "bootstrap wrote an invalid cluster endpoint",
      ),
      signal(["kubelet-config.ca-missing", "bootstrap.ca-invalid"], 1.5, "bootstrap wrote no usable cluster CA"),
      signal(
        ["kubelet.x509-unknown-authority", "apiserver.tls-unknown-authority"],
        1.4,
        "the node does not trust the API server's certificate (wrong CA)",
      ),
      signal("bootstrap.failed", 1.3, "bootstrap failed"),
    ],
    supports: [signal("kubelet-config.kubeconfig-invalid", 0.4, "the kubeconfig is broken")],
    explains: [
      "node.apiserver-unreachable",
      "node.registration-unauthorized",
      "cni.ipamd-down",
      "kubelet.config-invalid",
    ],
    contrary: [
      signal("apiserver.reachable", 0.4, "the node reached the cluster endpoint with its CA", { minSeverity: "info" }),
    ],
    summary: "Bootstrap (nodeadm / bootstrap.sh) wrote a wrong cluster endpoint, CA or cluster configuration",
  },
  {
    id: "node.apiserver-unreachable",
    requires: [
      signal(
        ["apiserver.connect-failed", "apiserver.dns-failure"],
        1.5,
        "the node cannot connect to the cluster endpoint",
      ),
      signal("kubelet.apiserver-unreachable", 1.4, "the kubelet's calls to the cluster endpoint time out"),
    ],
    supports: [
      signal(
        ["coredns.apiserver-unreachable", "kube-proxy.apiserver-errors", "ipamd.apiserver-error"],
        0.3,
        "node agents cannot reach the API server either",
        { minSeverity: "medium" },
      ),
    ],
    contrary: [
      signal("apiserver.reachable", 0.8, "the collector's curl reached the endpoint", { minSeverity: "info" }),
    ],
    explains: ["cni.ipamd-down", "node.registration-unauthorized"],
    summary: "The node cannot reach the cluster endpoint (security group, private endpoint, DNS or proxy)",
  },
  {
    id: "node.certificate-expired",
    requires: [
      signal(["kubelet.certificate-expired", "apiserver.tls-expired"], 1.5, "a certificate of the node has expired"),
    ],
    supports: [
      signal("kubelet.certificate-rotation-failed", 0.4, "the kubelet could not get a new certificate signed"),
      signal("kubelet.tls-bad-certificate", 0.3, "clients reject the kubelet's serving certificate"),
    ],
    contrary: [
      signal(
        [
          "messages.clock-unsynchronised",
          "messages.clock-jump",
          "kernel.time-jump",
          "kubelet.certificate-not-yet-valid",
          "apiserver.tls-not-yet-valid",
        ],
        1.0,
        "the clock is wrong, which makes valid certificates look expired",
        { minSeverity: "medium" },
      ),
    ],
    summary: "The kubelet's client or serving certificate has expired (with a sane clock)",
  },
  {
    id: "node.clock-skew",
    requires: [
      signal(
        ["kubelet.certificate-not-yet-valid", "apiserver.tls-not-yet-valid"],
        1.4,
        "certificates are not yet valid by the node's clock",
      ),
      signal(
        ["messages.clock-unsynchronised", "messages.clock-service-stopped"],
        1.3,
        "the clock service cannot synchronise",
      ),
      signal(["messages.clock-jump", "kernel.time-jump"], 1.2, "the clock jumped", { minSeverity: "medium" }),
      signal("processes.failed-units", 1.0, "chronyd has failed", { where: has("units", "chronyd.service") }),
    ],
    supports: [signal(["kubelet.certificate-expired", "apiserver.tls-expired"], 0.4, "x509 validity errors")],
    contrary: [signal("messages.clock-synced", 0.3, "chronyd selected a source", { minSeverity: "info" })],
    explains: ["node.certificate-expired", "node.registration-unauthorized"],
    summary: "The node's clock is off (the time service is dead or unsynchronised), so certificates and tokens fail",
  },
  {
    id: "kubelet.config-invalid",
    requires: [
      signal("kubelet.config-invalid", 1.7, "the kubelet fails to start on its configuration"),
      signal("kubelet-config.invalid", 1.5, "the kubelet config file is invalid"),
      signal("kubelet-config.cgroup-driver-mismatch", 1.5, "the kubelet's cgroup driver disagrees with containerd's"),
    ],
    supports: [signal("kubelet.restarts", 0.4, "the kubelet restarts in a loop")],
    explains: ["runtime.containerd-unhealthy", "runtime.pleg-unhealthy", "cni.ipamd-down"],
    contrary: [signal("kubelet.node-registered", 0.3, "the kubelet ran and registered", { minSeverity: "info" })],
    summary: "The kubelet cannot start because of its configuration",
  },
  {
    id: "runtime.containerd-unhealthy",
    requires: [
      signal("kubelet.runtime-unavailable", 1.4, "the kubelet cannot reach containerd"),
      signal("containerd.not-running", 1.5, "containerd is stopped"),
      signal("containerd.restarts", 1.1, "containerd crashes and restarts", { minSeverity: "medium" }),
      signal("processes.core-missing", 1.2, "containerd is not running", { where: has("missing", "containerd") }),
    ],
    supports: [
      signal("containerd.errors", 0.4, "containerd logs errors", { minSeverity: "medium" }),
      signal("kubelet.pleg-unhealthy", 0.3, "PLEG stalls follow a dead runtime"),
      signal("containerd.shim-errors", 0.2, "shims fail"),
    ],
    contrary: [
      signal("containerd.status", 0.6, "containerd's own journal shows it running without crashes", {
        minSeverity: "info",
        where: (f) => f.attributes.running === true && f.attributes.crashes === 0,
      }),
    ],
    explains: ["runtime.pleg-unhealthy"],
    summary: "containerd is down, hung or erroring, and the kubelet cannot run pods",
  },
  {
    id: "runtime.pleg-unhealthy",
    requires: [signal("kubelet.pleg-unhealthy", 1.3, "PLEG is unhealthy while the kubelet runs")],
    supports: [signal("kubelet.node-not-ready", 0.3, "the node flaps NotReady")],
    contrary: [
      signal(
        ["kubelet.runtime-unavailable", "containerd.not-running"],
        1.0,
        "the runtime itself is down, so PLEG is a symptom",
      ),
    ],
    summary: "The kubelet's pod lifecycle relist (PLEG) is too slow while the container runtime answers",
  },
  {
    id: "runtime.sandbox-image-unavailable",
    requires: [
      signal(
        ["kubelet.sandbox-image-pull-failed", "containerd.sandbox-image-pull-failed", "sandbox-image.pull-failed"],
        1.7,
        "the pause image cannot be pulled",
      ),
    ],
    supports: [
      signal("containerd.sandbox-image-deleted", 0.8, "the pause image was removed from the node", {
        minSeverity: "info",
      }),
      signal(SANDBOX_SYMPTOMS, 0.4, "new pods fail sandbox creation", { where: has("causes", "sandbox-image") }),
      signal("kubelet-config.sandbox-image-mismatch", 0.3, "the kubelet protects a different pause image from GC", {
        minSeverity: "info",
      }),
    ],
    contrary: [signal("sandbox-image.pulled", 0.3, "the pause image was pulled at boot", { minSeverity: "info" })],
    summary: "The pause (sandbox) image is gone from the node and cannot be pulled again, so no new pod can start",
  },
  {
    id: "runtime.image-pull-failure",
    requires: [
      signal(
        ["kubelet.image-pull-failed", "containerd.image-pull-failed", "events.image-pull-failed"],
        1.2,
        "workload images fail to pull",
        { minSeverity: "medium" },
      ),
    ],
    contrary: [
      signal(["containerd.no-space", "storage.disk-full"], 0.6, "the disk is full: pulls fail for lack of space", {
        minSeverity: "high",
      }),
    ],
    summary: "Workload images cannot be pulled (registry authentication, throttling or network)",
  },

  // ── host lane ─────────────────────────────────────────────────────────────────────────────────
  {
    id: "node.system-oom",
    requires: [
      signal(["kernel.oom-kill-system", "events.system-oom"], 1.7, "the kernel OOM killer hit a system process"),
      signal("messages.kernel-oom", 1.4, "the OOM killer hit a system process (messages)", {
        where: (f) => f.attributes.system === true,
      }),
    ],
    supports: [
      signal("kubelet-config.no-system-reserve", 0.4, "no memory is reserved for the system"),
      signal(["kubelet.memory-pressure", "events.memory-pressure"], 0.3, "memory pressure"),
    ],
    explains: ["runtime.containerd-unhealthy", "runtime.pleg-unhealthy"],
    contrary: [
      signal("kernel.oom-kill-workload", 0.3, "the OOM kills were containers hitting their own limits", {
        minSeverity: "info",
      }),
    ],
    summary: "The kernel OOM killer hits kubelet, containerd or system processes (no system reserve)",
  },
  {
    id: "node.disk-pressure",
    requires: [
      signal(
        ["kubelet.image-gc-failed", "storage.disk-full", "containerd.no-space"],
        1.5,
        "the node's disk is full and image GC cannot free enough",
        { minSeverity: "medium" },
      ),
      signal(
        ["kubelet.disk-pressure", "events.disk-pressure", "messages.no-space"],
        1.2,
        "DiskPressure / no space left on device",
      ),
    ],
    contrary: [
      signal("storage.inodes-exhausted", 1.0, "inodes, not bytes, ran out", {
        where: (f) => f.attributes.bytesRemain === true,
      }),
    ],
    summary: "The node's disk is full and image garbage collection cannot free enough",
  },
  {
    id: "node.inode-exhaustion",
    requires: [signal("storage.inodes-exhausted", 1.7, "a filesystem has no inodes left", { minSeverity: "medium" })],
    supports: [
      signal(["kubelet.disk-pressure", "containerd.no-space", "messages.no-space"], 0.3, "no space left on device"),
    ],
    explains: ["node.disk-pressure"],
    contrary: [
      signal("storage.usage", 0.4, "inodes are plentiful", {
        minSeverity: "info",
        where: (f) => f.attributes.nodeDataFilesystem === true && (num(f, "inodeUsePercent") ?? 100) < 50,
      }),
    ],
    summary: "A node filesystem ran out of inodes while bytes remain",
  },
  {
    id: "node.pid-exhaustion",
    requires: [
      signal(
        ["kubelet.pid-pressure", "processes.pid-pressure", "events.pid-pressure"],
        1.6,
        "the node runs out of PIDs",
      ),
    ],
    supports: [
      signal("sysctl.pid-max-low", 0.4, "kernel.pid_max is low"),
      signal("processes.zombies", 0.3, "zombie processes pile up"),
    ],
    contrary: [
      signal("processes.counts", 0.4, "threads are far below kernel.pid_max", {
        minSeverity: "info",
        where: (f) =>
          (num(f, "threads") ?? 0) > 0 &&
          (num(f, "pidMax") ?? 0) > 0 &&
          (num(f, "threads") as number) / (num(f, "pidMax") as number) < 0.5,
      }),
    ],
    summary: "The node runs out of PIDs (fork fails with resource temporarily unavailable)",
  },
  {
    id: "kernel.hang",
    requires: [
      signal(
        ["kernel.soft-lockup", "kernel.hung-task", "kernel.rcu-stall", "messages.kernel-hang"],
        1.6,
        "the kernel stalls (soft lockup, hung tasks, RCU stalls)",
      ),
    ],
    supports: [signal("kubelet.pleg-unhealthy", 0.2, "PLEG stalls with it")],
    explains: ["runtime.pleg-unhealthy", "runtime.containerd-unhealthy"],
    contrary: [
      signal("kubelet.node-registered", 0.1, "the node kept working well enough to register", { minSeverity: "info" }),
    ],
    summary: "The kernel stalls (soft lockups, hung tasks, RCU stalls) and everything above it waits",
  },
  {
    id: "storage.ebs-attach-timeout",
    requires: [
      signal(
        ["kubelet.volume-multi-attach", "events.multi-attach"],
        1.7,
        "the volume is still attached to another node (Multi-Attach)",
      ),
      signal(["csi.ebs-attach-failed", "events.attach-failed"], 1.4, "EBS attach fails"),
    ],
    supports: [
      signal(["kubelet.volume-mount-failed", "events.mount-failed"], 0.3, "mounts wait for the attach", {
        where: has("causes", "attach-timeout"),
      }),
    ],
    contrary: [signal("csi.ebs-device-not-found", 0.5, "the volume attached: the device is what is missing")],
    summary: "An EBS volume cannot attach (still attached elsewhere, device name busy, Multi-Attach)",
  },
  {
    id: "storage.ebs-device-not-found",
    requires: [
      signal("csi.ebs-device-not-found", 1.7, "the CSI node plugin cannot find the volume's device"),
      signal(["kubelet.volume-mount-failed", "events.mount-failed"], 1.2, "mounts fail: device path not found", {
        where: has("causes", "device-not-found"),
      }),
    ],
    contrary: [signal(["kubelet.volume-multi-attach", "events.multi-attach"], 0.5, "the volume never attached here")],
    summary: "The EBS volume attached but the node cannot find or verify its device (NVMe mapping)",
  },
  {
    id: "storage.efs-mount-timeout",
    requires: [
      signal("csi.efs-mount-timeout", 1.7, "EFS NFS mounts time out"),
      signal(["kubelet.volume-mount-failed", "events.mount-failed"], 1.1, "mounts fail: NFS timeouts", {
        where: has("causes", "nfs-timeout"),
      }),
    ],
    contrary: [signal("csi.no-plugin-logs", 0.3, "no CSI plugin ran on this node", { minSeverity: "info" })],
    summary: "NFS mounts of EFS time out (security group on 2049, stunnel, mount target)",
  },
  {
    id: "storage.csi-node-plugin-missing",
    requires: [
      signal("kubelet.csi-driver-not-registered", 1.7, "the CSI driver is not registered on this node"),
      signal("csi.registration-failed", 1.4, "the node-driver-registrar could not register the driver"),
      signal("events.mount-failed", 1.3, "mounts fail: CSI driver not registered", {
        where: has("causes", "csi-driver-missing"),
      }),
    ],
    supports: [signal("csi.no-plugin-logs", 0.4, "no CSI node plugin ran here", { minSeverity: "info" })],
    contrary: [
      signal("csi.driver-registered", 0.8, "the kubelet accepted the CSI driver on this node", { minSeverity: "info" }),
    ],
    summary: "The CSI node plugin is not registered on this node, so its volumes cannot mount",
  },
];
