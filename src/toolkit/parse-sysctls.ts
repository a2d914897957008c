import type { ArtifactName } from "../evidence/layout.ts";
import type { EvidenceReader } from "./evidence-reader.ts";

/** One `key = value` line of `sysctl --all`, kept with where it was. */
export interface SysctlEntry {
  value: string;
  line: number;
}

export type SysctlRead =
  | { state: "missing" }
  | { state: "error"; path: string }
  | { state: "ok"; path: string; values: Map<string, SysctlEntry>; lines: number };

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.\-/:*]*$/;

/**
 * Streams a `sysctl --all` dump and keeps the keys `wanted` accepts. An empty file, or one without
 * a single `key = value` line (binary garbage, an error message), is recorded as a gap.
 */
export async function readSysctlValues(
  read: EvidenceReader,
  wanted: (key: string) => boolean,
  name: ArtifactName = "sysctls",
): Promise<SysctlRead> {
  const [path] = await read.paths(name);
  if (!path) return { state: "missing" };
  const values = new Map<string, SysctlEntry>();
  let lines = 0;
  let parsed = 0;
  const ok = await read.scanAt(path, (cursor) => {
    lines += 1;
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    let eq = line.indexOf(" = ");
    let width = 3;
    if (eq < 0) {
      eq = line.indexOf("=");
      width = 1;
    }
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) return;
    parsed += 1;
    if (!wanted(key)) return;
    // `sysctl` prints tabs inside multi-value settings (ip_local_port_range = 32768\t60999).
    values.set(key, {
      value: cursor
        .text()
        .slice(eq + width)
        .trim()
        .replace(/\s+/g, " "),
      line: cursor.lineNo,
    });
  });
  if (!ok) return { state: "error", path };
  if (lines === 0) {
    read.gap(path, "file is empty");
    return { state: "error", path };
  }
  if (parsed === 0) {
    read.gap(path, "no `key = value` lines: not a sysctl dump");
    return { state: "error", path };
  }
  return { state: "ok", path, values, lines };
}

/** An integer sysctl value, or undefined when absent or not a plain integer. */
export function sysctlNumber(values: Map<string, SysctlEntry>, key: string): number | undefined {
  const raw = values.get(key)?.value;
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  return Number(raw);
}
