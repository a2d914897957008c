import type { ParameterValue, Risk } from "../domain/remediation.ts";
import type { RootCauseId } from "../domain/root-causes.ts";
import { allowedValuesOf, type DocumentName } from "./ssm-documents.ts";

/**
 * The catalog of remediations: for every root cause in the catalog, either the SSM Automation
 * document that fixes it on the node, or advice steps for a person (a root cause no node action
 * fixes never gets a fake action). The ONE module that knows which action answers which cause.
 */

/** Which tool re-runs on fresh evidence, and which finding kinds must be gone. */
export interface Verification {
  tool: string;
  clears: readonly string[];
}

/** Facts the proposal gathers from the report for a template that needs to choose a value. */
export interface TemplateFacts {
  /** Attributes of the findings on the affected nodes, by kind. */
  attributes(kind: string): ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** Parameters beyond targets and role, or the reason no value fits (the proposal becomes advice). */
export type ChosenParameters =
  { ok: true; parameters: Record<string, ParameterValue>; note?: string } | { ok: false; reason: string };

export interface ActionTemplate {
  kind: "action";
  document: DocumentName;
  summary: string;
  risk: Risk;
  expectedEffect: string;
  rollback: string;
  /** Prerequisites a person confirms; `<nodes>` is replaced with the affected node names. */
  manualSteps: readonly string[];
  verification: Verification;
  /** Document parameters other than targets and the assume role. */
  parameters?: (facts: TemplateFacts) => ChosenParameters;
}

export interface AdviceTemplate {
  kind: "advice";
  summary: string;
  /** What a person does instead; nothing here is executable. */
  steps: readonly string[];
  verification: Verification;
}

export type RemediationTemplate = ActionTemplate | AdviceTemplate;

const CORDON =
  "Cordon <nodes> through the Kubernetes API (kubectl cordon) so that no new pod is scheduled there while it restarts: SSM does not do this.";
const DRAIN =
  "Drain <nodes> (kubectl drain --ignore-daemonsets --delete-emptydir-data, which respects PodDisruptionBudgets) unless its workloads tolerate a short runtime outage: SSM does not do this.";
const UNCORDON = "After the verification passes, uncordon <nodes> (kubectl uncordon).";

const advice = (summary: string, steps: readonly string[], verification: Verification): AdviceTemplate => ({
  kind: "advice",
  summary,
  steps,
  verification,
});

/** Smallest allowed limit at least twice the current one; undefined when none is large enough. */
export function conntrackMaxFor(current: number | undefined): string | undefined {
  // The limits fathom may set are the ones the document allows (its ConntrackMax allowedValues).
  const allowed = [...conntrackMaxValues()].sort((a, b) => Number(a) - Number(b));
  if (current === undefined) return allowed[1] ?? allowed[0];
  return allowed.find((v) => Number(v) >= current * 2) ?? allowed.find((v) => Number(v) > current);
}

function conntrackMaxValues(): readonly string[] {
  return allowedValuesOf("Fathom-RaiseConntrackLimit", "ConntrackMax");
}

const CONNTRACK_KINDS = [
  "sysctl.values",
  "sysctl.conntrack-near-max",
  "conntrack.table-near-full",
  "conntrack.entries",
];

function chooseConntrackMax(facts: TemplateFacts): ChosenParameters {
  const seen = CONNTRACK_KINDS.flatMap((k) => facts.attributes(k))
    .map((a) => a.conntrackMax)
    .filter((v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0);
  const current = seen.length ? Math.max(...seen) : undefined;
  const value = conntrackMaxFor(current);
  if (value === undefined) {
    return {
      ok: false,
      reason: `nf_conntrack_max is already ${current}, at or above the largest limit fathom sets (${Math.max(...conntrackMaxValues().map(Number))}): find what fills the table instead`,
    };
  }
  const note =
    current === undefined
      ? "the current nf_conntrack_max is not in the evidence: the document refuses to lower it"
      : `raises nf_conntrack_max from ${current}`;
  return { ok: true, parameters: { ConntrackMax: value }, note };
}

export const REMEDIATIONS: Readonly<Record<Exclude<RootCauseId, "none">, RemediationTemplate>> = {
  // ── network lane ──────────────────────────────────────────────────────────────────────────────
  "cni.subnet-exhausted": advice(
    "The subnet is out of addresses: no node action creates addresses",
    [
      "Add IPv4 space: a larger or additional subnet for the node group, or a secondary VPC CIDR with VPC CNI custom networking (ENIConfig per AZ).",
      "Lower the warm pool so nodes hold fewer idle addresses (aws-node WARM_IP_TARGET / MINIMUM_IP_TARGET instead of WARM_ENI_TARGET).",
      "With prefix delegation, make room for contiguous /28s (subnet CIDR reservations) or use a subnet with free /28 blocks.",
    ],
    { tool: "read_ipamd_log", clears: ["ipamd.subnet-exhausted"] },
  ),
  "cni.node-ip-capacity": advice(
    "The node runs more pods than its ENIs can address: this is node-group configuration",
    [
      "Set max-pods to what the instance type's ENIs can address (the EKS max-pods calculator), in the node group's launch template or nodeadm NodeConfig.",
      "Or enable prefix delegation (ENABLE_PREFIX_DELEGATION=true on aws-node) on Nitro instances, or choose a larger instance type.",
      "Replace the affected nodes so they come up with the new setting.",
    ],
    { tool: "inspect_ipamd_state", clears: ["ipamd.max-pods-above-capacity", "ipamd.pool-exhausted"] },
  ),
  "cni.ec2-api-throttled": advice(
    "EC2 throttles the account's API calls: a node action would only add calls",
    [
      "Find the callers that exhaust the EC2 request budget (CloudTrail by event name and user agent).",
      "Reduce IPAMD churn: WARM_IP_TARGET / MINIMUM_IP_TARGET instead of a large WARM_ENI_TARGET, or prefix delegation.",
      "Ask AWS Support for a higher EC2 API rate limit if the load is legitimate.",
    ],
    { tool: "read_ipamd_log", clears: ["ipamd.ec2-throttled"] },
  ),
  "cni.ipamd-permission-denied": advice(
    "The VPC CNI lacks IAM permissions: this is IAM, not the node",
    [
      "Attach the AmazonEKS_CNI_Policy managed policy to the aws-node service account's IRSA role (or Pod Identity association), or to the node role if aws-node uses it.",
      "Check for an SCP or permissions boundary that denies ec2:AssignPrivateIpAddresses, CreateNetworkInterface or AttachNetworkInterface.",
      "Restart the aws-node pod on the node through the Kubernetes API once the policy is in place.",
    ],
    { tool: "read_ipamd_log", clears: ["ipamd.permission-denied"] },
  ),
  "cni.ipamd-down": advice(
    "aws-node is a Kubernetes DaemonSet pod: restart it through the Kubernetes API, not SSM",
    [
      "Look at the aws-node pod on <nodes> (kubectl -n kube-system describe pod / logs -c aws-node) for why IPAMD is not serving.",
      "Delete that aws-node pod so the DaemonSet recreates it; if it crash-loops, fix the cause it logs (IAM, IMDS, API server reachability).",
    ],
    { tool: "read_cni_plugin_log", clears: ["cni.ipamd-unreachable"] },
  ),
  "net.imds-unreachable": advice(
    "Instance metadata settings are an EC2 API change on the instance or launch template",
    [
      "Raise the IMDSv2 hop limit to 2 for containers that need IMDS (ec2 modify-instance-metadata-options --http-put-response-hop-limit 2), and in the launch template for new nodes.",
      "Or give the workload IRSA / Pod Identity credentials so it does not need IMDS.",
    ],
    { tool: "read_ipamd_log", clears: ["ipamd.imds-error"] },
  ),
  "net.policy-routing-broken": advice(
    "Per-pod routes are programmed by the VPC CNI: recreate them through Kubernetes",
    [
      "Recreate the affected pods (or restart the aws-node pod on <nodes>) so the CNI programs their ip rules and ENI route tables again.",
      "Look for another agent that flushes ip rules or routing tables on the node (custom networking scripts, other CNIs).",
    ],
    { tool: "inspect_routes", clears: ["routes.pod-rule-missing", "routes.eni-table-missing"] },
  ),
  "net.mtu-mismatch": advice(
    "The MTU is VPC CNI configuration",
    [
      "Set AWS_VPC_ENI_MTU on aws-node to what the path carries (1500 across VPN, Transit Gateway paths that need it, or tunnels), then recreate the affected pods.",
    ],
    { tool: "read_cni_config", clears: ["cni-config.mtu-mismatch"] },
  ),
  "net.ena-allowance-exceeded": advice(
    "The instance exceeds its network allowance: the remedy is capacity, not a node command",
    [
      "Move to an instance type with higher network allowances, or spread the traffic-heavy pods across more nodes (topology spread, anti-affinity).",
    ],
    {
      tool: "inspect_ena_allowances",
      clears: ["ena.pps-exceeded", "ena.bandwidth-exceeded", "ena.conntrack-exceeded"],
    },
  ),

  // ── service lane ──────────────────────────────────────────────────────────────────────────────
  "dns.coredns-unreachable": advice(
    "CoreDNS and its Service are Kubernetes objects",
    [
      "Check the kube-dns Service and its endpoints (kubectl -n kube-system get svc,endpointslices -l k8s-app=kube-dns); scale or repair the CoreDNS Deployment.",
      "If CoreDNS exits on a forwarding loop, fix its Corefile forward target (the node's resolv.conf must not point back at CoreDNS).",
    ],
    { tool: "inspect_iptables", clears: ["iptables.kube-dns-missing", "iptables.kube-dns-no-endpoints"] },
  ),
  "dns.clusterdns-mismatch": advice(
    "The kubelet's clusterDNS is node configuration set at bootstrap",
    [
      "Set clusterDNS to the kube-dns Service IP in the node group's bootstrap (nodeadm NodeConfig kubelet config, or bootstrap.sh --dns-cluster-ip), then replace the affected nodes.",
    ],
    { tool: "check_resolv_conf", clears: ["dns.clusterdns-mismatch", "dns.cluster-dns-unset"] },
  ),
  "dns.vpc-resolver-throttled": advice(
    "The VPC resolver's per-ENI packet limit is an AWS limit",
    [
      "Spread CoreDNS replicas across nodes and scale them out, or deploy NodeLocal DNSCache so lookups are cached per node; cut needless lookups (ndots, search domains).",
    ],
    { tool: "read_coredns_log", clears: ["coredns.upstream-timeouts"] },
  ),
  "dns.conntrack-race": advice(
    "The conntrack insert race is fixed in the pods' DNS behaviour",
    [
      "Deploy NodeLocal DNSCache, or set the pods' dnsConfig option single-request-reopen (glibc) / use TCP for DNS, so parallel A/AAAA lookups stop racing.",
    ],
    { tool: "inspect_conntrack", clears: ["conntrack.insert-failed"] },
  ),
  "net.conntrack-exhaustion": {
    kind: "action",
    document: "Fathom-RaiseConntrackLimit",
    summary: "Raise the node's conntrack table limit (nf_conntrack_max) so new connections stop being dropped",
    risk: "low",
    expectedEffect:
      "nf_conntrack_max rises at once and new connections stop being dropped; each entry can use about 300 bytes of kernel memory when the table fills. " +
      "kube-proxy sets nf_conntrack_max from its own conntrack settings (maxPerCore × CPUs, at least min) whenever it starts, so the change only lasts if kube-proxy's conntrack settings are raised too (manual step).",
    rollback:
      "Delete /etc/sysctl.d/99-fathom-conntrack.conf and set net.netfilter.nf_conntrack_max back to the previous value recorded in that file's first line (or restart kube-proxy, which re-applies its own value).",
    manualSteps: [
      "Make the limit last: in kube-proxy's KubeProxyConfiguration (on EKS the kube-system/kube-proxy-config ConfigMap) set conntrack.min to at least the new value, or conntrack.maxPerCore to 0 so kube-proxy leaves the kernel value alone; then restart the kube-proxy pods. Otherwise kube-proxy rewrites nf_conntrack_max at its next start and undoes this plan.",
      "Find what fills the table (a connection storm, short-lived connections without keep-alive, UNREPLIED flows) — a higher limit buys time, it does not remove the cause.",
    ],
    verification: { tool: "inspect_conntrack", clears: ["conntrack.table-near-full"] },
    parameters: chooseConntrackMax,
  },
  "kube-proxy.not-running": advice(
    "kube-proxy is a Kubernetes DaemonSet pod: restart it through the Kubernetes API",
    [
      "Check the kube-proxy pod on <nodes> (kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide, logs); delete it so the DaemonSet recreates it, or repair the DaemonSet / add-on.",
    ],
    { tool: "inspect_iptables", clears: ["iptables.kube-proxy-chains-missing"] },
  ),
  "kube-proxy.sync-failure": advice(
    "kube-proxy's rule programming is fixed in its configuration or in the agent holding the lock",
    [
      "Find the agent that holds the xtables lock or duplicates rules (another CNI, a security agent, a cron job running iptables) and stop it.",
      "For very many Services, move kube-proxy to IPVS or nftables mode, or raise its sync period; then restart the kube-proxy pods.",
    ],
    { tool: "read_kube_proxy_log", clears: ["kube-proxy.restore-failed", "kube-proxy.xtables-lock"] },
  ),
  "netpol.denied-by-policy": advice(
    "A NetworkPolicy blocks the flow as written: the policy is what must change",
    [
      "Review the NetworkPolicies selecting the source and destination pods and add an allow rule for the flow if it is meant to happen.",
    ],
    { tool: "read_network_policy_agent_log", clears: ["netpol.deny-verdicts"] },
  ),
  "netpol.agent-failure": advice(
    "The network-policy agent runs in the aws-node pod: restart or upgrade it through Kubernetes",
    [
      "Upgrade the VPC CNI add-on to a release that fixes the agent's failure, and restart the aws-node pod on <nodes> through the Kubernetes API.",
    ],
    {
      tool: "read_network_policy_agent_log",
      clears: ["netpol.agent-panic", "netpol.agent-errors", "netpol.conntrack-cleanup-race"],
    },
  ),

  // ── runtime lane ──────────────────────────────────────────────────────────────────────────────
  "node.registration-unauthorized": advice(
    "The node's IAM role is not mapped into the cluster: this is aws-auth or an access entry",
    [
      "Map the node role: an EKS access entry of type EC2_LINUX for the node role, or the role's entry in the kube-system/aws-auth ConfigMap (groups system:bootstrappers, system:nodes, username system:node:{{EC2PrivateDNSName}}).",
    ],
    { tool: "read_kubelet_journal", clears: ["kubelet.unauthorized"] },
  ),
  "node.registration-name-mismatch": advice(
    "The node's name must be the name its credentials allow: this is node configuration",
    [
      "Remove the hostname override, or make the VPC's DHCP options domain-name match the region's default so the hostname is the EC2 private DNS name; then replace the affected nodes.",
    ],
    { tool: "read_kubelet_journal", clears: ["kubelet.node-name-forbidden"] },
  ),
  "node.bootstrap-misconfigured": advice(
    "Bootstrap wrote a wrong cluster endpoint or CA: fix the launch template and replace the node",
    [
      "Correct the cluster name, endpoint and CA in the node group's user data (nodeadm NodeConfig or bootstrap.sh arguments), then replace the affected nodes; patching a running node hides the fault until the next one boots.",
    ],
    { tool: "read_kubelet_config", clears: ["kubelet-config.server-invalid", "kubelet-config.ca-missing"] },
  ),
  "node.apiserver-unreachable": advice(
    "The path to the cluster endpoint is network configuration",
    [
      "Allow 443 from the node's security group to the cluster security group, enable private endpoint access for private subnets, and check the proxy / DNS the node uses to resolve the endpoint.",
    ],
    { tool: "check_api_server_reachability", clears: ["apiserver.connect-failed", "apiserver.dns-failure"] },
  ),
  "node.certificate-expired": advice(
    "An expired kubelet certificate is renewed through the cluster's CSR flow",
    [
      "Approve the node's pending kubelet-serving CertificateSigningRequests (kubectl get csr), or replace the node; with a sane clock, a restart alone does not renew an expired certificate.",
    ],
    { tool: "read_kubelet_journal", clears: ["kubelet.certificate-expired"] },
  ),
  "node.clock-skew": {
    kind: "action",
    document: "Fathom-ResyncClock",
    summary: "Restart chrony, step the clock to the time source and wait until it is synchronised",
    risk: "low",
    expectedEffect:
      "The node's clock matches the Amazon Time Sync Service again; certificate and token validity errors caused by the wrong time stop. Timestamps in logs jump once.",
    rollback:
      "None needed: the step only corrects the clock. If chronyd fails to start, `systemctl status chronyd` on the node shows why.",
    manualSteps: [
      "If chronyd keeps losing its source, check that the node can reach 169.254.169.123 (Amazon Time Sync) and that /etc/chrony.conf names it.",
    ],
    verification: {
      tool: "read_system_messages",
      clears: ["messages.clock-unsynchronised", "messages.clock-service-stopped"],
    },
  },
  "kubelet.config-invalid": advice(
    "Restarting a kubelet with an invalid configuration only repeats the failure",
    [
      "Fix the kubelet configuration the journal names (the node group's NodeConfig / bootstrap arguments, or the cgroup driver so it matches containerd's SystemdCgroup), then replace the affected nodes.",
    ],
    { tool: "read_kubelet_journal", clears: ["kubelet.config-invalid"] },
  ),
  "runtime.containerd-unhealthy": {
    kind: "action",
    document: "Fathom-RestartContainerd",
    summary: "Restart containerd on the node and wait until it answers the CRI again",
    risk: "medium",
    expectedEffect:
      "containerd comes back and the kubelet can create and inspect containers again; running containers keep running (their shims outlive the daemon), but no pod can start or stop during the restart.",
    rollback:
      "No state is changed that needs undoing; if containerd does not come back, the node stays NotReady: keep it cordoned and replace it.",
    manualSteps: [CORDON, DRAIN, UNCORDON],
    verification: { tool: "read_kubelet_journal", clears: ["kubelet.runtime-unavailable"] },
  },
  "runtime.pleg-unhealthy": {
    kind: "action",
    document: "Fathom-RestartKubelet",
    summary: "Restart the kubelet so that its pod lifecycle relist (PLEG) starts afresh",
    risk: "medium",
    expectedEffect:
      "The kubelet's relist starts afresh and the node stops flapping NotReady; pods keep running across the restart. If the relist is slow because the node is overloaded or the kernel regressed, PLEG degrades again and the verification says so.",
    rollback:
      "No state is changed that needs undoing; if the kubelet does not come back healthy, keep the node cordoned and replace it.",
    manualSteps: [
      CORDON,
      DRAIN,
      "Look at what slows the relist (container count, CPU steal, disk latency on /var/lib/containerd): a restart does not remove it.",
      UNCORDON,
    ],
    verification: { tool: "read_kubelet_journal", clears: ["kubelet.pleg-unhealthy"] },
  },
  "runtime.sandbox-image-unavailable": {
    kind: "action",
    document: "Fathom-RepullSandboxImage",
    summary: "Pull the sandbox (pause) image again with the AMI's sandbox-image service and pin it",
    risk: "low",
    expectedEffect:
      "The pause image is back on the node and pinned against image garbage collection; new pods can create their sandboxes again.",
    rollback: "None needed: pulling an image the node is configured to use changes nothing else.",
    manualSteps: [
      "If the pull fails with 401 / no basic auth credentials, give the node role ECR read access (AmazonEC2ContainerRegistryReadOnly) — the document cannot fix credentials.",
    ],
    verification: { tool: "read_kubelet_journal", clears: ["kubelet.sandbox-image-pull-failed"] },
  },
  "runtime.image-pull-failure": advice(
    "Workload image pulls fail on registry credentials, limits or network: not a node command",
    [
      "Fix the registry side the error names: node role ECR permissions or imagePullSecrets for private registries, a pull-through cache or mirror for Docker Hub rate limits (toomanyrequests), or the route / VPC endpoint to the registry.",
    ],
    { tool: "read_kubelet_journal", clears: ["kubelet.image-pull-failed"] },
  ),

  // ── host lane ─────────────────────────────────────────────────────────────────────────────────
  "node.system-oom": advice(
    "System processes run out of memory: reserve memory for them in the kubelet configuration",
    [
      "Set kubeReserved / systemReserved and evictionHard for the instance type in the node group's kubelet configuration, and check pods' memory limits; then replace the affected nodes.",
    ],
    { tool: "read_dmesg", clears: ["kernel.oom-kill-system"] },
  ),
  "node.disk-pressure": {
    kind: "action",
    document: "Fathom-PruneUnusedImages",
    summary: "Remove the container images no container uses, keeping the sandbox (pause) image",
    risk: "medium",
    expectedEffect:
      "Disk held by unused images is freed and DiskPressure clears if images were what filled it. The pause image and every image a container references are kept. If container logs or emptyDir volumes fill the disk, this frees too little and the verification says so.",
    rollback:
      "Removed images are pulled again on demand the next time a pod needs one (from its registry, which must still be reachable).",
    manualSteps: [
      "Check what fills the disk if pruning frees too little (du on /var/lib/containerd, /var/log/pods, /var/lib/kubelet/pods): logs and emptyDir volumes are not images.",
      "Consider a larger root volume or lower imageGCHighThresholdPercent in the node group's kubelet configuration so image GC starts earlier.",
    ],
    verification: { tool: "inspect_storage", clears: ["storage.disk-full"] },
  },
  "node.inode-exhaustion": advice(
    "Running out of inodes is caused by many small files, which pruning images rarely frees",
    [
      "Find the directory with the most files on the full filesystem (e.g. find /var/lib/kubelet/pods /var/log -xdev | cut -d/ -f1-6 | sort | uniq -c | sort -n) and fix the workload writing them; consider a filesystem with more inodes for new nodes.",
    ],
    { tool: "inspect_storage", clears: ["storage.inodes-exhausted"] },
  ),
  "node.pid-exhaustion": advice(
    "A process that forks without bound is fixed in the workload, and PIDs are bounded in the kubelet configuration",
    [
      "Find the process tree that holds the PIDs (inspect_processes lists the biggest), fix or restart that workload, and set podPidsLimit in the node group's kubelet configuration.",
    ],
    { tool: "inspect_processes", clears: ["processes.pid-pressure"] },
  ),
  "kernel.hang": {
    kind: "action",
    document: "AWS-RestartEC2Instance",
    summary: "Restart the EC2 instance (AWS-owned AWS-RestartEC2Instance) to recover from the kernel stall",
    risk: "high",
    expectedEffect:
      "The instance reboots into a clean kernel; every pod on it is stopped and restarted (or rescheduled elsewhere once drained). Local ephemeral data (emptyDir, instance store) may be lost.",
    rollback:
      "A reboot cannot be undone; if the node does not come back Ready, terminate it and let the node group replace it.",
    manualSteps: [
      CORDON,
      "Drain <nodes> if its API server connection still works (kubectl drain --ignore-daemonsets --delete-emptydir-data); a hung node may not answer — then its pods are rescheduled after the reboot.",
      "Save what the hang left behind first if you need it (the console output: aws ec2 get-console-output), since a reboot clears the kernel ring buffer.",
      UNCORDON,
    ],
    verification: { tool: "read_dmesg", clears: ["kernel.soft-lockup", "kernel.hung-task", "kernel.rcu-stall"] },
  },
  "storage.ebs-attach-timeout": advice(
    "Volume attachment is an EC2 and Kubernetes operation",
    [
      "Find where the volume is still attached (the VolumeAttachment objects, ec2 describe-volumes); let the old pod terminate or delete its stale VolumeAttachment, and do not force-detach a volume that is still mounted.",
    ],
    { tool: "read_csi_logs", clears: ["csi.ebs-attach-failed"] },
  ),
  "storage.ebs-device-not-found": advice(
    "The NVMe device mapping is resolved by the CSI node plugin",
    [
      "Check that the EBS CSI node plugin on <nodes> runs a release that resolves NVMe device names for this instance type, upgrade it if not, and restart its pod through the Kubernetes API.",
    ],
    { tool: "read_csi_logs", clears: ["csi.ebs-device-not-found"] },
  ),
  "storage.efs-mount-timeout": advice(
    "EFS reachability is a security group and mount target question",
    [
      "Allow NFS (TCP 2049) from the node's security group to the EFS mount targets, and make sure a mount target exists in the node's Availability Zone.",
    ],
    { tool: "read_csi_logs", clears: ["csi.efs-mount-timeout"] },
  ),
  "storage.csi-node-plugin-missing": advice(
    "The CSI node plugin is a DaemonSet: fix its scheduling through Kubernetes",
    [
      "Check why the CSI node DaemonSet has no pod on <nodes> (tolerations, nodeSelector, the add-on installed at all) and fix it.",
    ],
    { tool: "read_kubelet_journal", clears: ["kubelet.csi-driver-not-registered"] },
  ),
};

/** The remediation for a root cause; undefined for `none`. */
export function remediationFor(id: RootCauseId): RemediationTemplate | undefined {
  return id === "none" ? undefined : REMEDIATIONS[id];
}

const RISK_ORDER: readonly Risk[] = ["low", "medium", "high"];

/** The highest risk any template gives a document; undefined for a document the catalog does not use. */
export function documentRisk(document: string): Risk | undefined {
  let risk: Risk | undefined;
  for (const t of Object.values(REMEDIATIONS)) {
    if (
      t.kind === "action" &&
      t.document === document &&
      (risk === undefined || RISK_ORDER.indexOf(t.risk) > RISK_ORDER.indexOf(risk))
    )
      risk = t.risk;
  }
  return risk;
}
