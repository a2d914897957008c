/**
 * The root-cause catalog (docs/root-causes.md) as data: the ONE place in code that
 * knows the ids. Reports and evaluation use these ids; never rename one.
 */
export const ROOT_CAUSES = [
  {
    id: "cni.subnet-exhausted",
    lane: "network",
    title: "the subnet has no free IPv4 addresses, or (prefix delegation) no contiguous free /28",
  },
  {
    id: "cni.node-ip-capacity",
    lane: "network",
    title:
      "the node's pods exceed what its ENIs can hold (max-pods above ENI×IP capacity, custom networking without lowering max-pods); the subnet is fine",
  },
  { id: "cni.ec2-api-throttled", lane: "network", title: "EC2 API throttling stalls IP allocation" },
  { id: "cni.ipamd-permission-denied", lane: "network", title: "the node (or IRSA) role lacks the CNI policy" },
  {
    id: "cni.ipamd-down",
    lane: "network",
    title: "aws-node / ipamd is not serving, so the CNI plugin cannot get addresses",
  },
  {
    id: "net.imds-unreachable",
    lane: "network",
    title: "instance metadata unreachable from where it is needed (hop limit, IMDSv2-only, hostNetwork removed)",
  },
  {
    id: "net.policy-routing-broken",
    lane: "network",
    title: "per-pod ip rule entries or per-ENI route tables are missing",
  },
  { id: "net.mtu-mismatch", lane: "network", title: "jumbo-frame MTU on a path that cannot carry it" },
  {
    id: "net.ena-allowance-exceeded",
    lane: "network",
    title: "the instance exceeds an ENA allowance (pps, bandwidth, conntrack, link-local)",
  },
  { id: "dns.coredns-unreachable", lane: "service", title: "pods cannot reach the cluster DNS service" },
  {
    id: "dns.clusterdns-mismatch",
    lane: "service",
    title: "kubelet hands pods a nameserver that is not the kube-dns service IP",
  },
  {
    id: "dns.vpc-resolver-throttled",
    lane: "service",
    title: "the VPC resolver's per-ENI packet limit drops DNS (CoreDNS co-located, heavy lookups)",
  },
  {
    id: "dns.conntrack-race",
    lane: "service",
    title: "parallel UDP A/AAAA lookups lose the conntrack insert race (5 s DNS delays)",
  },
  { id: "net.conntrack-exhaustion", lane: "service", title: "the conntrack table is full and packets are dropped" },
  {
    id: "kube-proxy.not-running",
    lane: "service",
    title: "kube-proxy is absent or dead on the node, so services do not route",
  },
  {
    id: "kube-proxy.sync-failure",
    lane: "service",
    title: "kube-proxy cannot program rules (xtables lock, restore failures, rule explosion)",
  },
  { id: "netpol.denied-by-policy", lane: "service", title: "a NetworkPolicy, enforced as written, blocks the flow" },
  {
    id: "netpol.agent-failure",
    lane: "service",
    title:
      "the network-policy agent itself misbehaves (eBPF load failure, conntrack cleanup race, panic, stale PolicyEndpoints)",
  },
  {
    id: "node.registration-unauthorized",
    lane: "runtime",
    title: "the API server rejects the node's identity (role not mapped in aws-auth or access entries)",
  },
  {
    id: "node.registration-name-mismatch",
    lane: "runtime",
    title: "the node's name is not the name its credentials allow (custom DHCP domain-name, hostname override)",
  },
  {
    id: "node.bootstrap-misconfigured",
    lane: "runtime",
    title: "bootstrap / nodeadm wrote a wrong endpoint, CA or cluster config",
  },
  {
    id: "node.apiserver-unreachable",
    lane: "runtime",
    title: "the node cannot reach the cluster endpoint (security group, private endpoint, DNS, proxy)",
  },
  { id: "node.certificate-expired", lane: "runtime", title: "the kubelet's client or serving certificate expired" },
  { id: "node.clock-skew", lane: "runtime", title: "the node's clock is off (chrony dead, RTC unsynced)" },
  { id: "kubelet.config-invalid", lane: "runtime", title: "kubelet cannot start because of its configuration" },
  { id: "runtime.containerd-unhealthy", lane: "runtime", title: "containerd is down, hung or erroring" },
  {
    id: "runtime.pleg-unhealthy",
    lane: "runtime",
    title: "the pod lifecycle relist is too slow while the runtime answers (kernel regression, overload)",
  },
  {
    id: "runtime.sandbox-image-unavailable",
    lane: "runtime",
    title: "the pause image was garbage-collected and cannot be pulled again",
  },
  {
    id: "runtime.image-pull-failure",
    lane: "runtime",
    title: "workload images cannot be pulled (registry auth, throttling, network)",
  },
  {
    id: "node.system-oom",
    lane: "host",
    title: "the kernel OOM killer hits kubelet, containerd or system processes (no system reserve)",
  },
  { id: "node.disk-pressure", lane: "host", title: "the node's disk is full and image GC cannot free enough" },
  { id: "node.inode-exhaustion", lane: "host", title: "inodes run out while bytes remain" },
  { id: "node.pid-exhaustion", lane: "host", title: "the node runs out of PIDs" },
  { id: "kernel.hang", lane: "host", title: "the kernel stalls (soft lockup, hung tasks)" },
  {
    id: "storage.ebs-attach-timeout",
    lane: "host",
    title: "an EBS volume cannot attach (still attached elsewhere, device name busy, Multi-Attach)",
  },
  {
    id: "storage.ebs-device-not-found",
    lane: "host",
    title: "the volume attached but the node cannot find or verify its device (NVMe mapping)",
  },
  {
    id: "storage.efs-mount-timeout",
    lane: "host",
    title: "NFS mounts of EFS time out (security group on 2049, stunnel/ports, mount target)",
  },
  { id: "storage.csi-node-plugin-missing", lane: "host", title: "the CSI node plugin is not registered on this node" },
  {
    id: "none",
    lane: "none",
    title:
      "nothing below the kubelet explains the incident (a healthy node, or an application fault such as a crashing container)",
  },
] as const;

export type RootCauseId = (typeof ROOT_CAUSES)[number]["id"];
export type CatalogLane = (typeof ROOT_CAUSES)[number]["lane"];

export const ROOT_CAUSE_IDS: readonly RootCauseId[] = ROOT_CAUSES.map((c) => c.id);

/**
 * A team's own root cause, defined in a rules file of theirs (`--rules`): `custom.<name>`. The
 * prefix keeps them apart from the catalog's ids, which are a contract.
 */
export const CUSTOM_ROOT_CAUSE_PATTERN = /^custom\.[a-z0-9]+(-[a-z0-9]+)*$/;

export function isCustomRootCauseId(id: string): boolean {
  return CUSTOM_ROOT_CAUSE_PATTERN.test(id);
}

export function isRootCauseId(id: string): id is RootCauseId {
  return (ROOT_CAUSE_IDS as readonly string[]).includes(id);
}

export function rootCauseTitle(id: string): string {
  return ROOT_CAUSES.find((c) => c.id === id)?.title ?? id;
}
