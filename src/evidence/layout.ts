/**
 * The ONE place that knows where eks-log-collector (v0.7.x) puts each artifact. Tools ask for logical
 * names; nothing else spells a bundle path. `paths` are tried in order (the first present wins);
 * `pattern` matches a family of files (container logs).
 */
export interface ArtifactSpec {
  paths: readonly string[];
  pattern?: RegExp;
  description: string;
}

function spec(description: string, paths: readonly string[], pattern?: RegExp): ArtifactSpec {
  return pattern ? { description, paths, pattern } : { description, paths };
}

export const LAYOUT = {
  scriptParams: spec("collector flags (ignore_introspection, ignore_metrics)", ["system/script-params.txt"]),
  instanceId: spec("EC2 instance id", ["system/instance-id.txt"]),
  region: spec("AWS region", ["system/region.txt"]),
  availabilityZone: spec("availability zone", ["system/availability-zone.txt"]),
  services: spec("systemctl list-units", ["system/services.txt"]),
  processes: spec("ps fauxwww", ["system/ps.txt"]),
  threads: spec("ps -eTF", ["system/ps-threads.txt"]),
  top: spec("top -b -n 1", ["system/top.txt"]),
  netstat: spec("netstat -plant", ["system/netstat.txt"]),
  procStat: spec("/proc/stat (btime)", ["system/procstat.txt"]),
  lastReboot: spec("last reboot", ["system/last_reboot.txt"]),
  messages: spec("/var/log/messages", ["var_log/messages", "var_log/syslog"]),
  cloudInit: spec("cloud-init.log", ["var_log/cloud-init.log"]),
  cloudInitOutput: spec("cloud-init-output.log", ["var_log/cloud-init-output.log"]),
  userData: spec("user-data.log", ["var_log/user-data.log"]),
  kubeProxyLog: spec(
    "kube-proxy log",
    ["var_log/kube-proxy.log"],
    /^var_log\/(kube-proxy-[^/]*_kube-system_kube-proxy-[0-9a-f]+\.log|kube-system_kube-proxy-[^/]+\/kube-proxy\/\d+\.log)$/,
  ),
  ipamdLog: spec("VPC CNI ipamd log", ["var_log/aws-routed-eni/ipamd.log"]),
  cniPluginLog: spec("VPC CNI plugin log", ["var_log/aws-routed-eni/plugin.log"]),
  networkPolicyAgentLog: spec("network policy agent log", ["var_log/aws-routed-eni/network-policy-agent.log"]),
  egressPluginLog: spec("egress-v4 plugin log", ["var_log/aws-routed-eni/egress-v4-plugin.log"]),
  ebpfSdkLog: spec("eBPF SDK log", ["var_log/aws-routed-eni/ebpf-sdk.log"]),
  containerLogs: spec(
    "container logs (CRI format)",
    [],
    /^var_log\/(?!aws-routed-eni\/)([^/]+\.log|[^/]+\/[^/]+\/\d+\.log)$/,
  ),
  dmesg: spec("dmesg (seconds since boot)", ["kernel/dmesg.current"]),
  dmesgHuman: spec("dmesg --ctime", ["kernel/dmesg.human.current"]),
  dmesgBoot: spec("/var/log/dmesg", ["kernel/dmesg.boot"]),
  uname: spec("uname -a", ["kernel/uname.txt"]),
  ipvsModules: spec("lsmod ip_vs / nf_conntrack", ["modinfo/ip_vs"]),
  mounts: spec("mount + df -h", ["storage/mounts.txt"]),
  inodes: spec("df --inodes", ["storage/inodes.txt"]),
  lsblk: spec("lsblk", ["storage/lsblk.txt"]),
  fstab: spec("/etc/fstab", ["storage/fstab.txt"]),
  podLocalStorage: spec("per-pod local storage", ["storage/pod_local_storage.txt"]),
  iptablesSave: spec("iptables-save", ["networking/iptables-save.txt"]),
  ip6tablesSave: spec("ip6tables-save", ["networking/ip6tables-save.txt"]),
  iptablesNat: spec("iptables -nvL -t nat", ["networking/iptables-nat.txt"]),
  iptablesFilter: spec("iptables -nvL -t filter", ["networking/iptables-filter.txt"]),
  conntrack: spec("conntrack -S and -L", ["networking/conntrack.txt"]),
  ipRules: spec("ip rule show", ["networking/iprule.txt"]),
  ipRoutes: spec("ip route show table all", ["networking/iproute.txt"]),
  resolvConf: spec("/etc/resolv.conf", ["networking/resolv.conf"]),
  ethtool: spec("ethtool -S per interface", ["networking/ethtool.txt"]),
  ifconfig: spec("ifconfig", ["networking/ifconfig.txt"]),
  ipvsadm: spec("ipvsadm", ["networking/ipvsadm.txt"]),
  curlApiServer: spec("curl to the API server", ["networking/curl_api_server.txt"]),
  containerdLog: spec("journalctl -u containerd", ["containerd/containerd-log.txt"]),
  containerdConfig: spec("containerd config dump", ["containerd/containerd-config.txt"]),
  kubeletJournal: spec("journalctl -u kubelet", ["kubelet/kubelet.log"]),
  kubeletConfig: spec("kubelet configuration", ["kubelet/config.json", "kubelet/kubelet-config.json"]),
  kubeletConfigDropIns: spec("kubelet config drop-ins", [], /^kubelet\/config\.json\.d\/[^/]+$/),
  kubeconfig: spec("kubelet kubeconfig", ["kubelet/kubeconfig.yaml"]),
  kubeletService: spec("kubelet unit", ["kubelet/kubelet_service.txt"]),
  nodeadmConfig: spec("nodeadm-config journal", ["nodeadm/nodeadm-config.log"]),
  nodeadmRun: spec("nodeadm-run journal", ["nodeadm/nodeadm-run.log"]),
  ipamdEnis: spec("IPAMD /v1/enis", ["ipamd/enis.json"]),
  ipamdEnvSettings: spec("IPAMD env settings", ["ipamd/ipamd-env-settings.json"]),
  networkUtilsEnvSettings: spec("networkutils env settings", ["ipamd/networkutils-env-settings.json"]),
  eniConfigs: spec("ENIConfigs", ["ipamd/eni-configs.json"]),
  ipamdMetrics: spec("IPAMD Prometheus metrics (text)", ["ipamd/metrics.json"]),
  ipamdCheckpoint: spec("IPAMD checkpoint (pod→IP)", ["ipamd/ipam.json"]),
  ipamdPods: spec("IPAMD /v1/pods", ["ipamd/pods.json"]),
  introspectionIgnored: spec("marker: introspection skipped", ["ipamd/ipam_introspection_ignore.txt"]),
  metricsIgnored: spec("marker: metrics skipped", ["ipamd/ipam_metrics_ignore.txt"]),
  sysctls: spec("sysctl --all", ["sysctls/sysctl_all.txt"]),
  cniConflist: spec("CNI config", ["cni/10-aws.conflist"], /^cni\/[^/]+\.conflist$/),
  cniEnv: spec("aws-node container env", [
    "cni/cni-configuration-variables-containerd.json",
    "cni/cni-configuration-variables-dockershim.json",
  ]),
  sandboxImageLog: spec("journalctl -u sandbox-image", ["sandbox-image/sandbox-image-log.txt"]),
  corednsLogs: spec(
    "CoreDNS container logs",
    [],
    /^var_log\/([^/_]+_[^/_]+_coredns-[0-9a-f]+\.log|[^/_]+_coredns-[^/_]+_[^/]+\/coredns\/\d+\.log)$/,
  ),
  csiLogs: spec(
    "EBS / EFS CSI driver container logs",
    [],
    /^var_log\/((?:ebs|efs)-csi-[^/_]+_[^/_]+_[^/_]+-[0-9a-f]+\.log|[^/_]+_[^/_]+_(?:ebs|efs)-plugin-[0-9a-f]+\.log|[^/_]+_(?:ebs|efs)-csi-[^/_]+_[^/]+\/[^/]+\/\d+\.log)$/,
  ),
  efsUtilsLog: spec("efs-utils mount log", ["var_log/amazon/efs/mount.log"]),
  nodeAgentContainerLogs: spec(
    "aws-eks-nodeagent (network policy agent) container logs",
    [],
    /^var_log\/([^/_]+_[^/_]+_aws-eks-nodeagent-[0-9a-f]+\.log|[^/_]+_aws-node-[^/_]+_[^/]+\/aws-eks-nodeagent\/\d+\.log)$/,
  ),
  kubernetesEvents: spec("Kubernetes events for this node (from --events, not from the bundle)", [
    "fathom/kubernetes-events.json",
  ]),
} as const satisfies Record<string, ArtifactSpec>;

export type ArtifactName = keyof typeof LAYOUT;

/** The top-level folders the collector always creates. */
export const TOP_LEVEL_FOLDERS = [
  "kernel",
  "modinfo",
  "system",
  "docker",
  "containerd",
  "storage",
  "var_log",
  "networking",
  "sandbox-image",
  "ipamd",
  "sysctls",
  "kubelet",
  "nodeadm",
  "cni",
  "gpu",
] as const;

/** The first (canonical) path of an artifact; patterns-only artifacts have none. */
export function primaryPath(name: ArtifactName): string {
  return LAYOUT[name].paths[0] ?? "";
}

/** Whether a bundle path belongs to an artifact (one of its paths, or its pattern). */
export function belongsTo(name: ArtifactName, path: string): boolean {
  const spec: ArtifactSpec = LAYOUT[name];
  return spec.paths.includes(path) || (spec.pattern?.test(path) ?? false);
}
