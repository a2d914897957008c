import type { ToolDefinition } from "../src/toolkit/tool-definition.ts";
import { checkApiServerReachability } from "./check-api-server-reachability.ts";
import { checkResolvConf } from "./check-resolv-conf.ts";
import { inspectConntrack } from "./inspect-conntrack.ts";
import { inspectEnaAllowances } from "./inspect-ena-allowances.ts";
import { inspectIpamdState } from "./inspect-ipamd-state.ts";
import { inspectIptables } from "./inspect-iptables.ts";
import { inspectProcesses } from "./inspect-processes.ts";
import { inspectRoutes } from "./inspect-routes.ts";
import { inspectStorage } from "./inspect-storage.ts";
import { listBundleInventory } from "./list-bundle-inventory.ts";
import { readBootstrapLogs } from "./read-bootstrap-logs.ts";
import { readCniConfig } from "./read-cni-config.ts";
import { readCniPluginLog } from "./read-cni-plugin-log.ts";
import { readContainerdLog } from "./read-containerd-log.ts";
import { readCorednsLog } from "./read-coredns-log.ts";
import { readCsiLogs } from "./read-csi-logs.ts";
import { readDmesg } from "./read-dmesg.ts";
import { readIpamdLog } from "./read-ipamd-log.ts";
import { readKubeProxyLog } from "./read-kube-proxy-log.ts";
import { readKubeletConfig } from "./read-kubelet-config.ts";
import { readKubeletJournal } from "./read-kubelet-journal.ts";
import { readKubernetesEvents } from "./read-kubernetes-events.ts";
import { readNetworkPolicyAgentLog } from "./read-network-policy-agent-log.ts";
import { readNodeIdentity } from "./read-node-identity.ts";
import { readSandboxImageLog } from "./read-sandbox-image-log.ts";
import { readSysctls } from "./read-sysctls.ts";
import { readSystemMessages } from "./read-system-messages.ts";

/** Every diagnostic tool, grouped by lane, in the fixed order reports use. */
export const TOOLS: readonly ToolDefinition[] = [
  // network
  inspectIpamdState,
  readIpamdLog,
  readCniPluginLog,
  readCniConfig,
  inspectRoutes,
  inspectEnaAllowances,
  // service
  inspectIptables,
  inspectConntrack,
  checkResolvConf,
  readCorednsLog,
  readKubeProxyLog,
  readNetworkPolicyAgentLog,
  // runtime
  readKubeletJournal,
  readKubeletConfig,
  readContainerdLog,
  readSandboxImageLog,
  checkApiServerReachability,
  readBootstrapLogs,
  readKubernetesEvents,
  // host
  readDmesg,
  readSysctls,
  readSystemMessages,
  inspectProcesses,
  inspectStorage,
  readCsiLogs,
  readNodeIdentity,
  listBundleInventory,
] as unknown as readonly ToolDefinition[];

export function findTool(name: string): ToolDefinition | undefined {
  return TOOLS.find((tool) => tool.name === name);
}
