import { parseIsoTime } from "../evidence/clock.ts";

/**
 * Line-level helpers for the VPC CNI's own logs (ipamd.log, plugin.log): zap JSON lines
 * `{"level":"info","ts":"2026-11-24T10:01:02.123Z","caller":"…","msg":"…"}` on CNI >= 1.6, and the
 * seelog text lines `2020-04-01T02:00:05.895Z [DEBUG]\tmsg` of older CNIs. Both are cheap: a few
 * indexOf calls on the line head, no regex over the whole line.
 */

export type CniLogLevel = "debug" | "info" | "warn" | "error" | "fatal";

const HEAD = 96;

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Reads a CNI log line's time; made per scan so its one-second cache is not shared state. */
export type CniTimeParser = (line: string) => number | undefined;

/**
 * A parser for the instant a CNI log line was written: JSON `ts` (ISO or epoch seconds) or the
 * leading ISO stamp of the text format. `YYYY-MM-DDTHH:MM:SS[.fff]Z` is read by character arithmetic
 * and consecutive lines of the same second skip Date.UTC (the hot path of a gigabyte debug log);
 * anything else (offsets, odd spacing) goes to the general ISO parser.
 */
export function createCniTimeParser(): CniTimeParser {
  let cachedSecond = "";
  let cachedSecondMs = 0;
  const isoAt = (s: string, at: number): number | undefined => {
    if (s.charCodeAt(at + 4) !== 45 || s.charCodeAt(at + 10) !== 84 || s.charCodeAt(at + 13) !== 58)
      return parseIsoTime(s.slice(at, at + 40));
    const second = s.slice(at, at + 19);
    let base: number;
    if (second === cachedSecond) base = cachedSecondMs;
    else {
      base = Date.UTC(
        digits(s, at, 4),
        digits(s, at + 5, 2) - 1,
        digits(s, at + 8, 2),
        digits(s, at + 11, 2),
        digits(s, at + 14, 2),
        digits(s, at + 17, 2),
      );
      if (!Number.isFinite(base)) return parseIsoTime(s.slice(at, at + 40));
      cachedSecond = second;
      cachedSecondMs = base;
    }
    let i = at + 19;
    let ms = 0;
    if (s.charCodeAt(i) === 46) {
      let scale = 100;
      for (i += 1; ; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
      }
      ms = Math.floor(ms);
    }
    const zone = s.charCodeAt(i);
    // Z, the closing quote of a JSON ts, a blank, or the end of the line: UTC as EKS nodes log.
    if (zone === 90 || zone === 34 || zone === 32 || zone === 9 || Number.isNaN(zone)) return base + ms;
    return parseIsoTime(s.slice(at, at + 40));
  };
  return (line) => {
    const ts = line.indexOf('"ts":');
    if (ts >= 0 && ts < HEAD) {
      let i = ts + 5;
      while (line.charCodeAt(i) === 32) i += 1;
      const c = line.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        const seconds = Number.parseFloat(line.slice(i, i + 24));
        return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
      }
      return c === 34 ? isoAt(line, i + 1) : undefined;
    }
    const c = line.charCodeAt(0);
    return c >= 48 && c <= 57 && line.charCodeAt(4) === 45 ? isoAt(line, 0) : undefined;
  };
}

/** The instant one CNI log line was written (see createCniTimeParser for scans). */
export function cniLineTime(line: string): number | undefined {
  return createCniTimeParser()(line);
}

/** The level of a CNI log line, lower-cased (`warning` reads as `warn`), when it says. */
export function cniLineLevel(line: string): CniLogLevel | undefined {
  const head = line.slice(0, HEAD);
  const json = head.indexOf('"level":"');
  let word: string | undefined;
  if (json >= 0) {
    const end = head.indexOf('"', json + 9);
    word = head.slice(json + 9, end < 0 ? undefined : end);
  } else {
    const open = head.indexOf(" [");
    const close = open >= 0 ? head.indexOf("]", open) : -1;
    if (close > open) word = head.slice(open + 2, close);
  }
  switch (word?.toLowerCase()) {
    case "debug":
    case "trace":
      return "debug";
    case "info":
      return "info";
    case "warn":
    case "warning":
      return "warn";
    case "error":
    case "critical":
      return "error";
    case "fatal":
    case "panic":
    case "dpanic":
      return "fatal";
    default:
      return undefined;
  }
}

/** Whether a level is an error (or worse); unknown levels are not. */
export function isErrorLevel(level: CniLogLevel | undefined): boolean {
  return level === "error" || level === "fatal";
}

/** EC2 operations the VPC CNI calls, as the SDKs and IAM name them. */
export const EC2_OPERATIONS = [
  "AssignPrivateIpAddresses",
  "UnassignPrivateIpAddresses",
  "AssignIpv6Addresses",
  "UnassignIpv6Addresses",
  "CreateNetworkInterface",
  "AttachNetworkInterface",
  "DetachNetworkInterface",
  "DeleteNetworkInterface",
  "DescribeNetworkInterfaces",
  "ModifyNetworkInterfaceAttribute",
  "DescribeInstances",
  "DescribeInstanceTypes",
  "DescribeSubnets",
  "CreateTags",
] as const;

const OPERATION = new RegExp(`\\b(?:ec2:)?(${EC2_OPERATIONS.join("|")})\\b`, "g");

// SDK v1 errors rarely name the operation; ipamd's own wrapping says what it was doing.
const OPERATION_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/attachENI|failed to attach (?:the )?ENI|error attaching ENI/i, "AttachNetworkInterface"],
  [/failed to create (?:the )?(?:ENI|network interface)|createENI/i, "CreateNetworkInterface"],
  [
    /allocate (?:a |all available |one )?(?:private )?IP|assigning private IP|allocIPAddresses|AllocIPAddresses|IPv4 prefix/i,
    "AssignPrivateIpAddresses",
  ],
  [/failed to (?:delete|free) (?:the )?ENI|deleteENI/i, "DeleteNetworkInterface"],
  [/failed to detach|detachENI/i, "DetachNetworkInterface"],
  [
    /describe (?:the )?(?:ENI|network interface)|information from EC2 control plane|GetIPv4sFromEC2|GetIPv4PrefixesFromEC2/i,
    "DescribeNetworkInterfaces",
  ],
  [/tag(?:ging)? (?:the )?ENI|CreateTags/i, "CreateTags"],
];

/** The EC2 operations a log line names or implies (deduplicated, in order of appearance). */
export function ec2OperationsIn(line: string): string[] {
  const found = new Set<string>();
  OPERATION.lastIndex = 0;
  for (const m of line.matchAll(OPERATION)) found.add(m[1] as string);
  if (found.size === 0) for (const [pattern, op] of OPERATION_HINTS) if (pattern.test(line)) found.add(op);
  return [...found];
}

/** How an EC2 error code bears on the catalog's causes. */
export type Ec2ErrorClass = "throttled" | "permission-denied" | "subnet-exhausted" | "eni-limit" | "other";

/** Classifies an EC2 / AWS API error code (`RequestLimitExceeded`, `UnauthorizedOperation`, …). */
export function ec2ErrorClass(code: string): Ec2ErrorClass {
  if (
    /^(RequestLimitExceeded|Throttling|ThrottlingException|RequestThrottled|TooManyRequestsException|SlowDown|EC2ThrottledException)$/i.test(
      code,
    )
  )
    return "throttled";
  if (/^(UnauthorizedOperation|AccessDenied|AccessDeniedException|UnauthorizedAccess|AuthFailure)$/i.test(code))
    return "permission-denied";
  if (/^(InsufficientFreeAddressesInSubnet|InsufficientCidrBlocks)$/i.test(code)) return "subnet-exhausted";
  if (/^(AttachmentLimitExceeded|NetworkInterfaceLimitExceeded)$/i.test(code)) return "eni-limit";
  return "other";
}

const CODE =
  /\b(RequestLimitExceeded|ThrottlingException|Throttling|UnauthorizedOperation|AccessDeniedException|AccessDenied|InsufficientFreeAddressesInSubnet|InsufficientCidrBlocks|AttachmentLimitExceeded|PrivateIpAddressLimitExceeded|InvalidParameterValue)\b/g;

/** The AWS error codes a log line carries (deduplicated). */
export function ec2ErrorCodesIn(line: string): string[] {
  const found = new Set<string>();
  CODE.lastIndex = 0;
  for (const m of line.matchAll(CODE)) found.add(m[1] as string);
  return [...found];
}

/**
 * Counts one logical event that a CNI may log on several lines (e.g. the datastore's own error, the
 * RPC reply that repeats it): the primary spelling when the log has it, else the secondary ones.
 */
export function preferPrimary<T extends { count: number }>(
  primary: T | undefined,
  secondary: T | undefined,
): T | undefined {
  if (primary && primary.count > 0) return primary;
  return secondary && secondary.count > 0 ? secondary : undefined;
}
