/**
 * Every timestamp format found in a node bundle, turned into epoch milliseconds (UTC: EKS nodes log
 * in UTC). Year-less formats (journald short, klog, syslog) need a reference instant from a dated
 * source in the same bundle, never the wall clock of the machine running fathom.
 */

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};
const DAY_MS = 86_400_000;

/**
 * Places a year-less month/day/time in the year that puts it closest before `reference`
 * (a December line read in January belongs to the previous year).
 */
export function resolveYearless(
  month: number,
  day: number,
  hh: number,
  mm: number,
  ss: number,
  ms: number,
  reference: number,
): number {
  const year = new Date(reference).getUTCFullYear();
  const candidate = Date.UTC(year, month, day, hh, mm, ss, ms);
  return candidate > reference + 2 * DAY_MS ? Date.UTC(year - 1, month, day, hh, mm, ss, ms) : candidate;
}

const SHORT = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/;

/** journald short / syslog: `Nov 24 10:01:02 host …` (optionally with fractional seconds). */
export function parseSyslogTime(line: string, reference: number): number | undefined {
  const m = SHORT.exec(line);
  if (!m) return undefined;
  const month = MONTHS[m[1] as string];
  if (month === undefined) return undefined;
  const ms = m[6] ? Math.floor(Number(`0.${m[6]}`) * 1000) : 0;
  return resolveYearless(month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms, reference);
}

const KLOG = /([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})/;

/** klog header `E1124 10:01:02.123456` anywhere in the text. */
export function parseKlogTime(text: string, reference: number): number | undefined {
  const m = KLOG.exec(text);
  if (!m) return undefined;
  return resolveYearless(
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    Math.floor(Number(m[7]) / 1000),
    reference,
  );
}

const ISO = /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?/;

/** RFC 3339 / ISO 8601 anywhere in the text (JSON `ts`, CRI, containerd `time="…"`, old ipamd text). */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const frac = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), frac);
  const zone = m[8];
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return Number.isFinite(t) ? t : undefined;
}

const DMESG_REL = /^\[\s*(\d+)\.(\d+)\]/;

/** dmesg `[ 1234.567890] …`: seconds since boot; needs the boot time. */
export function parseDmesgRelative(line: string, bootTime: number | undefined): number | undefined {
  const m = DMESG_REL.exec(line);
  if (!m || bootTime === undefined) return undefined;
  return bootTime + Number(m[1]) * 1000 + Math.floor(Number(`0.${m[2]}`) * 1000);
}

const DMESG_CTIME = /^\[(?:[A-Z][a-z]{2}) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\]/;

/** `dmesg --ctime` / `dmesg -T`: `[Tue Nov 24 10:01:02 2026] …`. */
export function parseDmesgCtime(line: string): number | undefined {
  const m = DMESG_CTIME.exec(line);
  if (!m) return undefined;
  const month = MONTHS[m[1] as string];
  if (month === undefined) return undefined;
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

/** `btime <epoch seconds>` from /proc/stat. */
export function parseBtime(procstat: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(procstat);
  return m ? Number(m[1]) * 1000 : undefined;
}

const ARCHIVE_DATE = /(\d{4})-(\d{2})-(\d{2})_(\d{2})(\d{2})-UTC/;

/** The collection time in an archive name `eks_i-…_2026-11-24_1030-UTC_0.7.9.tar.gz`. */
export function parseArchiveName(name: string): number | undefined {
  const m = ARCHIVE_DATE.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isFinite(t) ? t : undefined;
}

export function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}
