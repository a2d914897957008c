/**
 * Typed hand-offs between tools: a value one tool reports (a finding attribute) that another tool
 * takes as input. The one place that knows these links; lanes use it to order calls and fill inputs.
 */
export interface Handoff {
  from: { tool: string; kind: string; attribute: string };
  to: { tool: string; input: string };
}

export const HANDOFFS: readonly Handoff[] = [
  {
    from: { tool: "inspect_iptables", kind: "iptables.kube-dns-service", attribute: "clusterIP" },
    to: { tool: "check_resolv_conf", input: "kubeDnsClusterIP" },
  },
  {
    from: { tool: "read_sysctls", kind: "sysctl.values", attribute: "conntrackMax" },
    to: { tool: "inspect_conntrack", input: "conntrackMax" },
  },
  {
    from: { tool: "inspect_ipamd_state", kind: "ipamd.pod-ips", attribute: "podIPs" },
    to: { tool: "inspect_routes", input: "podIPs" },
  },
  {
    from: { tool: "read_containerd_log", kind: "containerd.config", attribute: "systemdCgroup" },
    to: { tool: "read_kubelet_config", input: "containerdSystemdCgroup" },
  },
  {
    from: { tool: "read_kubelet_config", kind: "kubelet-config.settings", attribute: "maxPods" },
    to: { tool: "inspect_ipamd_state", input: "maxPods" },
  },
  {
    from: { tool: "read_containerd_log", kind: "containerd.config", attribute: "sandboxImage" },
    to: { tool: "read_kubelet_config", input: "containerdSandboxImage" },
  },
  {
    from: { tool: "read_kube_proxy_log", kind: "kube-proxy.conntrack-settings", attribute: "conntrackMax" },
    to: { tool: "inspect_conntrack", input: "conntrackMax" },
  },
  {
    from: { tool: "check_resolv_conf", kind: "dns.resolv-conf", attribute: "nameservers" },
    to: { tool: "read_coredns_log", input: "nameservers" },
  },
  {
    from: { tool: "read_kubelet_config", kind: "kubelet-config.settings", attribute: "evictionHard" },
    to: { tool: "inspect_storage", input: "evictionHard" },
  },
  {
    from: { tool: "read_sysctls", kind: "sysctl.values", attribute: "pidMax" },
    to: { tool: "inspect_processes", input: "pidMax" },
  },
];

export function handoffsInto(tool: string): Handoff[] {
  return HANDOFFS.filter((h) => h.to.tool === tool);
}
