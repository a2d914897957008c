/**
 * IPAMD's introspection answers and checkpoint, in every shape the VPC CNI has written them:
 * - `/v1/enis` since v1.20: a map keyed by network-card index, `{"0": {"TotalIPs","AssignedIPs","ENIs":{…}}}`;
 * - `/v1/enis` before v1.20: one object `{"TotalIPs","AssignedIPs","ENIs":{eni-id: ENI}}`, each ENI
 *   holding `AvailableIPv4Cidrs` (`"10.0.1.23/32"` secondary IPs, `"10.0.1.16/28"` prefixes) or, on
 *   1.7–1.8, `IPv4Addresses`;
 * - very old CNIs: `{"AssignedIPs","TotalIPs","ENIIPPools":{eni-id: {"IPv4Addresses":{ip:{"Assigned"}}}}}`;
 * - the checkpoint `/var/run/aws-node/ipam.json`: `{"version":"vpc-cni-ipam/1","allocations":[…]}`.
 * Parsers are total: unexpected shapes yield an `error` string, never an exception.
 */

export type EnisShape = "by-network-card" | "flat" | "legacy";

export interface EniState {
  id: string;
  networkCard: number;
  isPrimary: boolean;
  isTrunk: boolean;
  isEfa: boolean;
  deviceNumber: number | undefined;
  subnetId: string | undefined;
  /** Addresses the ENI holds for pods (secondary /32s, or 16 per /28 prefix). */
  totalIps: number;
  /** Of those, addresses assigned to a pod sandbox. */
  assignedIps: number;
  /** /28 (or other non-/32) prefixes attached. */
  prefixes: number;
  /** Secondary /32 addresses attached. */
  secondaryIps: number;
  /** Addresses inside prefixes, and how many of them are assigned (what serves new pods under prefix delegation). */
  prefixIps: number;
  prefixAssignedIps: number;
  /** IPv6 prefixes attached (IPv6 clusters hold no IPv4 pool). */
  ipv6Prefixes: number;
}

export interface IpamdPool {
  shape: EnisShape;
  networkCards: number;
  enis: EniState[];
  /** Totals counted from the ENIs. */
  totalIps: number;
  assignedIps: number;
  /** Totals as IPAMD reported them at the top level, when present. */
  reportedTotalIps: number | undefined;
  reportedAssignedIps: number | undefined;
  prefixes: number;
  /** Addresses inside prefixes, and how many are assigned. */
  prefixIps: number;
  prefixAssignedIps: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Mask bits of a Go `net.IPMask` serialised as base64 (`"////8A=="` → 28). */
function maskBits(mask: unknown): number | undefined {
  if (typeof mask !== "string" || mask === "") return undefined;
  const bytes = Buffer.from(mask, "base64");
  if (bytes.length !== 4 && bytes.length !== 16) return undefined;
  let bits = 0;
  for (const byte of bytes) for (let b = 7; b >= 0; b--) if (byte & (1 << b)) bits += 1;
  return bytes.length === 4 ? bits : undefined;
}

function cidrSize(key: string, entry: Json): { size: number; prefix: boolean } {
  const slash = key.lastIndexOf("/");
  let bits = slash >= 0 ? Number(key.slice(slash + 1)) : Number.NaN;
  if (!Number.isInteger(bits) || bits < 0 || bits > 32)
    bits = maskBits(isObject(entry.Cidr) ? entry.Cidr.Mask : undefined) ?? Number.NaN;
  if (!Number.isInteger(bits)) return entry.IsPrefix === true ? { size: 16, prefix: true } : { size: 1, prefix: false };
  return { size: 2 ** (32 - bits), prefix: bits < 32 };
}

/** Whether an `AddressInfo` is held by a sandbox: a non-empty IPAMKey container id, or `Assigned: true`. */
function isAssigned(address: unknown): boolean {
  if (!isObject(address)) return false;
  if (address.Assigned === true) return true;
  const key = address.IPAMKey ?? address.ipamKey;
  if (isObject(key)) return Boolean(str(key.containerID) ?? str(key.ContainerID));
  return false;
}

function countAssigned(addresses: unknown): number {
  if (!isObject(addresses)) return 0;
  let n = 0;
  for (const address of Object.values(addresses)) if (isAssigned(address)) n += 1;
  return n;
}

function parseEni(id: string, raw: unknown, networkCard: number): EniState | undefined {
  if (!isObject(raw)) return undefined;
  const eni: EniState = {
    id: str(raw.ID) ?? str(raw.Id) ?? id,
    networkCard,
    isPrimary: raw.IsPrimary === true,
    isTrunk: raw.IsTrunk === true,
    isEfa: raw.IsEFA === true,
    deviceNumber: num(raw.DeviceNumber),
    subnetId: str(raw.SubnetID) ?? str(raw.SubnetId),
    totalIps: 0,
    assignedIps: 0,
    prefixes: 0,
    secondaryIps: 0,
    prefixIps: 0,
    prefixAssignedIps: 0,
    ipv6Prefixes: isObject(raw.IPv6Cidrs) ? Object.keys(raw.IPv6Cidrs).length : 0,
  };
  if (isObject(raw.AvailableIPv4Cidrs)) {
    for (const [key, entry] of Object.entries(raw.AvailableIPv4Cidrs)) {
      if (!isObject(entry)) continue;
      const { size, prefix } = cidrSize(key, entry);
      const assigned = countAssigned(entry.IPAddresses);
      eni.totalIps += size;
      eni.assignedIps += assigned;
      if (prefix) {
        eni.prefixes += 1;
        eni.prefixIps += size;
        eni.prefixAssignedIps += assigned;
      } else eni.secondaryIps += 1;
    }
  } else if (isObject(raw.IPv4Addresses)) {
    const addresses = Object.values(raw.IPv4Addresses);
    eni.totalIps = addresses.length;
    eni.secondaryIps = addresses.length;
    eni.assignedIps = countAssigned(raw.IPv4Addresses);
    // Very old pools also carry the count; trust it when the per-address flags are absent.
    const counted = num(raw.AssignedIPv4Addresses);
    if (counted !== undefined && eni.assignedIps === 0) eni.assignedIps = counted;
  }
  return eni;
}

function parseEniMap(enis: unknown, networkCard: number): EniState[] {
  if (!isObject(enis)) return [];
  const out: EniState[] = [];
  for (const [id, raw] of Object.entries(enis)) {
    const eni = parseEni(id, raw, networkCard);
    if (eni) out.push(eni);
  }
  return out.sort((a, b) => (a.deviceNumber ?? 99) - (b.deviceNumber ?? 99) || a.id.localeCompare(b.id));
}

function pool(shape: EnisShape, cards: Array<{ card: number; raw: Json; enis: unknown }>): IpamdPool {
  const enis = cards.flatMap(({ card, enis }) => parseEniMap(enis, card));
  const reportedTotals = cards.map(({ raw }) => num(raw.TotalIPs));
  const reportedAssigned = cards.map(({ raw }) => num(raw.AssignedIPs));
  const sum = (values: Array<number | undefined>) =>
    values.every((v) => v !== undefined) && values.length > 0
      ? values.reduce<number>((a, v) => a + (v ?? 0), 0)
      : undefined;
  return {
    shape,
    networkCards: cards.length,
    enis,
    totalIps: enis.reduce((a, e) => a + e.totalIps, 0),
    assignedIps: enis.reduce((a, e) => a + e.assignedIps, 0),
    reportedTotalIps: sum(reportedTotals),
    reportedAssignedIps: sum(reportedAssigned),
    prefixes: enis.reduce((a, e) => a + e.prefixes, 0),
    prefixIps: enis.reduce((a, e) => a + e.prefixIps, 0),
    prefixAssignedIps: enis.reduce((a, e) => a + e.prefixAssignedIps, 0),
  };
}

/** Reads `ipamd/enis.json` in any of its three shapes. */
export function parseEnis(value: unknown): IpamdPool | { error: string } {
  if (!isObject(value)) return { error: "enis.json is not a JSON object" };
  if ("ENIIPPools" in value) return pool("legacy", [{ card: 0, raw: value, enis: value.ENIIPPools }]);
  if ("ENIs" in value || "TotalIPs" in value) return pool("flat", [{ card: 0, raw: value, enis: value.ENIs }]);
  const keys = Object.keys(value);
  // An empty map: a v1.20+ IPAMD with no datastore yet.
  if (keys.length === 0) return pool("by-network-card", []);
  if (keys.every((k) => /^\d+$/.test(k) && isObject(value[k]))) {
    const cards = keys
      .map((k) => ({ card: Number(k), raw: value[k] as Json, enis: (value[k] as Json).ENIs }))
      .sort((a, b) => a.card - b.card);
    return pool("by-network-card", cards);
  }
  return { error: `enis.json has an unrecognised shape (keys: ${keys.slice(0, 5).join(", ") || "none"})` };
}

export interface PodAllocation {
  containerId: string;
  ifName: string | undefined;
  ipv4: string | undefined;
  ipv6: string | undefined;
  namespace: string | undefined;
  pod: string | undefined;
}

export interface IpamCheckpoint {
  version: string | undefined;
  allocations: PodAllocation[];
}

/** Reads the IPAMD checkpoint `ipamd/ipam.json` (the only pod→IP map in a bundle). */
export function parseCheckpoint(value: unknown): IpamCheckpoint | { error: string } {
  if (!isObject(value)) return { error: "ipam.json is not a JSON object" };
  const raw = value.allocations;
  if (raw !== null && raw !== undefined && !Array.isArray(raw)) return { error: "ipam.json allocations is not a list" };
  if (raw === undefined && value.version === undefined)
    return { error: "ipam.json has neither version nor allocations" };
  const allocations: PodAllocation[] = [];
  for (const entry of raw ?? []) {
    if (!isObject(entry)) continue;
    const metadata = isObject(entry.metadata) ? entry.metadata : {};
    allocations.push({
      containerId: str(entry.containerID) ?? "",
      ifName: str(entry.ifName),
      ipv4: str(entry.ipv4),
      ipv6: str(entry.ipv6),
      namespace: str(metadata.k8sPodNamespace),
      pod: str(metadata.k8sPodName),
    });
  }
  return { version: str(value.version), allocations };
}

/** The CNI settings that explain pool behaviour (configuration facts, never faults on their own). */
export interface CniSettings {
  warmIpTarget?: number;
  warmEniTarget?: number;
  minimumIpTarget?: number;
  warmPrefixTarget?: number;
  maxEni?: number;
  prefixDelegation?: boolean;
  customNetworking?: boolean;
  externalSnat?: boolean;
  mtu?: number;
  podEni?: boolean;
  ipv6?: boolean;
}

function bool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    if (/^(true|1|yes)$/i.test(value.trim())) return true;
    if (/^(false|0|no|)$/i.test(value.trim())) return false;
  }
  if (typeof value === "number") return value !== 0;
  return undefined;
}

const NUMERIC: Array<[keyof CniSettings, string]> = [
  ["warmIpTarget", "WARM_IP_TARGET"],
  ["warmEniTarget", "WARM_ENI_TARGET"],
  ["minimumIpTarget", "MINIMUM_IP_TARGET"],
  ["warmPrefixTarget", "WARM_PREFIX_TARGET"],
  ["maxEni", "MAX_ENI"],
  ["mtu", "AWS_VPC_ENI_MTU"],
];
const BOOLEAN: Array<[keyof CniSettings, string]> = [
  ["prefixDelegation", "ENABLE_PREFIX_DELEGATION"],
  ["customNetworking", "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"],
  ["externalSnat", "AWS_VPC_K8S_CNI_EXTERNALSNAT"],
  ["podEni", "ENABLE_POD_ENI"],
  ["ipv6", "ENABLE_IPv6"],
];

/** Merges IPAMD / networkutils env-settings answers (`{"WARM_IP_TARGET":0,…}`) into typed settings. */
export function parseEnvSettings(...values: unknown[]): CniSettings {
  const settings: CniSettings = {};
  const set = settings as Record<string, number | boolean | undefined>;
  for (const value of values) {
    if (!isObject(value)) continue;
    for (const [field, env] of NUMERIC) {
      const n = num(value[env]);
      if (n !== undefined) set[field] = n;
    }
    for (const [field, env] of BOOLEAN) {
      const b = bool(value[env]);
      if (b !== undefined) set[field] = b;
    }
  }
  return settings;
}
