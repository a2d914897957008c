/**
 * Parsers for `ip rule show` and `ip route show table all` as iproute2 prints them (old and new
 * spellings), plus the little IPv4 arithmetic the routing checks need.
 */

/** Table names iproute2 prints for the reserved ids. */
const TABLE_IDS: Record<string, number> = { local: 255, main: 254, default: 253, unspec: 0 };

/** A table id from its name or number; undefined for anything else. */
export function tableId(text: string): number | undefined {
  const named = TABLE_IDS[text];
  if (named !== undefined) return named;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

export const MAIN_TABLE = 254;
export const LOCAL_TABLE = 255;
export const DEFAULT_TABLE = 253;

export interface IpRule {
  priority: number;
  /** `all` or an address / CIDR. */
  from: string;
  to: string | undefined;
  fwmark: string | undefined;
  iif: string | undefined;
  /** Table looked up; undefined for actions without a lookup (unreachable, blackhole, goto …). */
  table: number | undefined;
  /** `unreachable`, `blackhole`, `prohibit` when the rule is one of those. */
  action: string | undefined;
  not: boolean;
}

/**
 * One `ip rule show` line: `512:\tfrom all to 10.0.12.77 lookup main`, `1536:\tfrom 10.0.13.5 lookup 2`,
 * `1024:\tfrom all fwmark 0x80/0x80 lookup main`, `32766:\tfrom all lookup main`. Old iproute2 prints
 * `table` where new prints `lookup`; some versions print `[detached]`, `proto kernel`, `uidrange …`.
 */
export function parseIpRule(line: string): IpRule | undefined {
  const m = /^\s*(\d+):\s+(.*)$/.exec(line);
  if (!m) return undefined;
  const tokens = (m[2] as string).trim().split(/\s+/);
  const rule: IpRule = {
    priority: Number(m[1]),
    from: "all",
    to: undefined,
    fwmark: undefined,
    iif: undefined,
    table: undefined,
    action: undefined,
    not: false,
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const next = tokens[i + 1];
    switch (token) {
      case "not":
        rule.not = true;
        break;
      case "from":
        if (next !== undefined) rule.from = next;
        i++;
        break;
      case "to":
        rule.to = next;
        i++;
        break;
      case "fwmark":
        rule.fwmark = next;
        i++;
        break;
      case "iif":
        rule.iif = next;
        i++;
        break;
      case "lookup":
      case "table":
        if (next !== undefined) rule.table = tableId(next) ?? -1;
        i++;
        break;
      case "unreachable":
      case "blackhole":
      case "prohibit":
        rule.action = token;
        break;
      default:
        break;
    }
  }
  return rule;
}

export interface IpRoute {
  /** `unicast`, `local`, `broadcast`, `unreachable`, … */
  type: string;
  /** `default` or a prefix (`10.0.12.77` means /32). */
  dst: string;
  via: string | undefined;
  dev: string | undefined;
  table: number;
  scope: string | undefined;
}

const ROUTE_TYPES = new Set([
  "local",
  "broadcast",
  "unreachable",
  "blackhole",
  "prohibit",
  "throw",
  "multicast",
  "anycast",
  "nat",
  "unicast",
]);

/**
 * One `ip route show table all` line: `default via 10.0.0.1 dev eth1 table 2`,
 * `10.0.12.77 dev eni1a2b3c4d5e6 scope link`, `local 10.0.12.34 dev eth0 table local proto kernel scope host src 10.0.12.34`.
 * Lines without `table` belong to main. Multipath continuation lines (`\tnexthop …`) are not routes.
 */
export function parseIpRoute(line: string): IpRoute | undefined {
  if (line.length === 0 || line.startsWith(" ") || line.startsWith("\t")) return undefined;
  const tokens = line.trim().split(/\s+/);
  let i = 0;
  let type = "unicast";
  if (ROUTE_TYPES.has(tokens[0] as string)) {
    type = tokens[0] as string;
    i = 1;
  }
  const dst = tokens[i];
  if (dst === undefined || !(dst === "default" || /^[0-9a-f.:]+(\/\d+)?$/i.test(dst))) return undefined;
  const route: IpRoute = { type, dst, via: undefined, dev: undefined, table: MAIN_TABLE, scope: undefined };
  for (i += 1; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const next = tokens[i + 1];
    if (next === undefined) break;
    if (token === "via") route.via = next;
    else if (token === "dev") route.dev = next;
    else if (token === "table") route.table = tableId(next) ?? -1;
    else if (token === "scope") route.scope = next;
    else continue;
    i++;
  }
  return route;
}

/** `10.0.12.77` or `10.0.12.77/32` → `10.0.12.77`; other prefixes are returned unchanged. */
export function hostOf(prefix: string): string {
  return prefix.endsWith("/32") ? prefix.slice(0, -3) : prefix;
}

export function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function isIpv4(text: string): boolean {
  return ipv4ToInt(text) !== undefined;
}

/** Whether an IPv4 address lies in an IPv4 CIDR (a bare address is a /32). */
export function cidrContainsIp(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split("/");
  const prefix = bits === undefined ? 32 : Number(bits);
  const b = ipv4ToInt(base ?? "");
  const a = ipv4ToInt(ip);
  if (b === undefined || a === undefined || !(prefix >= 0 && prefix <= 32)) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(a / size) === Math.floor(b / size);
}
