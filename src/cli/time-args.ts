import type { TimeWindow } from "../domain/time.ts";
import { CliError } from "./cli-error.ts";

/** `90s`, `15m`, `2h`, `3d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new CliError(`invalid duration "${text}": use a number with s, m, h or d (e.g. 2h)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

export function parseInstant(text: string): number {
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t))
    throw new CliError(`invalid time "${text}": use ISO 8601, e.g. 2026-11-24T10:30:00Z`);
  return t;
}

/** The window `--at`/`--since` ask for; undefined when neither is given. */
export function windowFromArgs(
  at: string | undefined,
  since: string | undefined,
  defaultEnd: number | undefined,
): TimeWindow | undefined {
  if (at === undefined && since === undefined) return undefined;
  const end = at !== undefined ? parseInstant(at) : defaultEnd;
  if (end === undefined) throw new CliError("--since needs --at: the bundle carries no dated source to anchor it");
  const start = since !== undefined ? end - parseDuration(since) : 0;
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}
