import type { Severity } from "../domain/severity.ts";
import type { WindowMs } from "../domain/time.ts";
import type { Occurrences } from "./occurrences.ts";

/** Errors that stopped this long before the window's end count for little (the catalog's rule). */
export const STALE_AFTER_MS = 2 * 60 * 60 * 1000;

/** Whether a signal was still occurring near the end of the window (unknown times count as recent). */
export function isRecent(occ: Occurrences, window: WindowMs, staleAfterMs = STALE_AFTER_MS): boolean {
  if (occ.last === undefined || !Number.isFinite(window.end)) return true;
  return occ.last >= window.end - staleAfterMs;
}

/**
 * The severity a signal deserves given when it last occurred: full while recent, `info` once it
 * stopped long before the window's end. Returns the attributes that explain the downgrade.
 */
export function severityByRecency(
  base: Severity,
  occ: Occurrences,
  window: WindowMs,
  staleAfterMs = STALE_AFTER_MS,
): { severity: Severity; stale: boolean } {
  const recent = isRecent(occ, window, staleAfterMs);
  return { severity: recent ? base : "info", stale: !recent };
}

/** Whether an instant falls in the window (undefined instants are kept: a line without a time is not outside). */
export function inWindow(at: number | undefined, window: WindowMs): boolean {
  return at === undefined || (at >= window.start && at <= window.end);
}

/** "3h 5m" style durations for summaries. */
export function humanDuration(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return `${Math.round(Math.abs(ms) / 1000)}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
