import { parseArchiveName, parseBtime, parseDmesgCtime, parseIsoTime, parseSyslogTime } from "./clock.ts";
import { belongsTo, LAYOUT, type ArtifactName } from "./layout.ts";
import { splitLines } from "./lines.ts";
import type { EvidenceSource } from "./source.ts";

/** When and how a bundle's clock was established. */
export interface BundleClock {
  /** Collection time (ms), or undefined when nothing in the bundle is dated. */
  collectedAt: number | undefined;
  collectedFrom: "archive-name" | "newest-timestamp" | "unknown";
  /** Boot time from `btime`, which turns dmesg seconds into instants. */
  bootTime: number | undefined;
  /** Reference instant for year-less formats (journald short, klog). */
  yearReference: number | undefined;
}

const TAIL_BYTES = 64 * 1024;
const DATED: ArtifactName[] = ["ipamdLog", "cniPluginLog", "networkPolicyAgentLog", "dmesgHuman", "containerdLog"];
const YEARLESS: ArtifactName[] = ["kubeletJournal", "messages"];

/**
 * Derives the collection time as the architecture says: the archive name's `YYYY-MM-DD_HHMM-UTC`
 * when present, else the newest timestamp found in the bundle. Only tails are read, so this is cheap
 * on a gigabyte journal. Year-less clocks take their year from dated sources, never from the host.
 */
export async function deriveBundleClock(source: EvidenceSource): Promise<BundleClock> {
  const present = new Set((await source.list()).map((e) => e.path));
  const first = (name: ArtifactName) => LAYOUT[name].paths.find((p) => present.has(p));
  const tailLines = async (path: string) => {
    const tail = await source.tail(path, TAIL_BYTES).catch(() => Buffer.alloc(0));
    const lines = splitLines(tail.toString("utf8"));
    // A full window may start mid-line: drop that partial line. A shorter tail is the whole file.
    return tail.length >= TAIL_BYTES ? lines.slice(1) : lines;
  };

  let bootTime: number | undefined;
  const procStat = first("procStat");
  if (procStat)
    bootTime = parseBtime((await source.read(procStat, 4 << 20).catch(() => Buffer.alloc(0))).toString("utf8"));

  let newestDated: number | undefined;
  const consider = (t: number | undefined) => {
    if (t !== undefined && Number.isFinite(t) && (newestDated === undefined || t > newestDated)) newestDated = t;
  };
  for (const name of DATED) {
    const path = first(name);
    if (!path) continue;
    for (const line of await tailLines(path))
      consider(name === "dmesgHuman" ? parseDmesgCtime(line) : parseIsoTime(line.slice(0, 200)));
  }
  const containerLogs = [...present].filter((p) => belongsTo("containerLogs", p)).slice(0, 8);
  for (const path of containerLogs) for (const line of await tailLines(path)) consider(parseIsoTime(line.slice(0, 40)));

  const archive = parseArchiveName(source.name);
  const yearReference = archive ?? newestDated ?? (bootTime !== undefined ? bootTime + 300 * 86_400_000 : undefined);

  let newest = newestDated;
  if (yearReference !== undefined) {
    for (const name of YEARLESS) {
      const path = first(name);
      if (!path) continue;
      for (const line of await tailLines(path)) {
        const t = parseSyslogTime(line, yearReference);
        if (t !== undefined && (newest === undefined || t > newest)) newest = t;
      }
    }
  }
  if (archive !== undefined)
    return { collectedAt: archive, collectedFrom: "archive-name", bootTime, yearReference: archive };
  if (newest !== undefined)
    return { collectedAt: newest, collectedFrom: "newest-timestamp", bootTime, yearReference: newest };
  return { collectedAt: undefined, collectedFrom: "unknown", bootTime, yearReference };
}
