import type { AttributeValue, EvidenceLocator } from "../domain/finding.ts";
import type { Severity } from "../domain/severity.ts";
import { iso } from "../evidence/clock.ts";
import type { Occurrences } from "./occurrences.ts";
import type { FindingDraft } from "./tool-definition.ts";

/**
 * Building finding drafts, the judging end of a tool's read → model → judge shape. A tool reads its
 * sources into a model (plain data, no prose), then judges the model into drafts with these: the
 * defaults (count 1, no hand-off hints) and the occurrence fields are filled in one way everywhere.
 */

type Attributes = Record<string, AttributeValue>;

export interface DraftSpec {
  kind: string;
  severity: Severity;
  summary: string;
  evidence?: EvidenceLocator[];
  count?: number;
  attributes?: Attributes;
  /** Tools whose findings would confirm or explain this one (lanes follow these hints). */
  correlateWith?: string[];
  firstSeen?: string | undefined;
  lastSeen?: string | undefined;
}

/** A judged finding. */
export function draft(spec: DraftSpec): FindingDraft {
  const out: FindingDraft = {
    kind: spec.kind,
    severity: spec.severity,
    summary: spec.summary,
    evidence: spec.evidence ?? [],
    count: spec.count ?? 1,
    attributes: spec.attributes ?? {},
    correlateWith: spec.correlateWith ?? [],
  };
  if (spec.firstSeen) out.firstSeen = spec.firstSeen;
  if (spec.lastSeen) out.lastSeen = spec.lastSeen;
  return out;
}

/** A fact: what was read (settings, counts, identities), at info; judged findings and hand-offs use it. */
export function fact(
  kind: string,
  summary: string,
  attributes: Attributes,
  evidence: EvidenceLocator[] = [],
  count = 1,
): FindingDraft {
  return draft({ kind, severity: "info", summary, attributes, evidence, count });
}

/** A finding about a repeated signal: its count, first and last time and samples come from `occ`. */
export function fromOccurrences(
  occ: Occurrences,
  spec: Omit<DraftSpec, "count" | "firstSeen" | "lastSeen">,
): FindingDraft {
  return draft({
    ...spec,
    evidence: spec.evidence ?? occ.evidence,
    count: occ.count,
    firstSeen: occ.firstSeen,
    lastSeen: occ.lastSeen,
  });
}

/** "1 time", "3 times": counts in summaries read the same in every tool. */
export function times(n: number): string {
  return `${n} time${n === 1 ? "" : "s"}`;
}

/** Occurrences as plain data (count, first and last epoch ms, samples): a snapshot or a merge of several. */
export interface Seen {
  count: number;
  first: number | undefined;
  last: number | undefined;
  evidence: EvidenceLocator[];
}

/** A snapshot of occurrences that happened at least once; undefined otherwise. */
export function seen(occ: Occurrences | undefined): Seen | undefined {
  return occ && occ.count > 0
    ? { count: occ.count, first: occ.first, last: occ.last, evidence: occ.evidence }
    : undefined;
}

/** A finding about what `s` saw: its count, first and last time and samples. */
export function fromSeen(
  s: Seen,
  spec: Omit<DraftSpec, "count" | "firstSeen" | "lastSeen" | "evidence">,
): FindingDraft {
  return draft({ ...spec, evidence: s.evidence, count: s.count, firstSeen: iso(s.first), lastSeen: iso(s.last) });
}
