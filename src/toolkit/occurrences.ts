import type { EvidenceLocator } from "../domain/finding.ts";
import { iso } from "../evidence/clock.ts";

const MAX_EXCERPT = 300;
const HEAD_SAMPLES = 2;

/**
 * How often a signal occurred, when first and last, and a few places that prove it
 * (the first two and the last). Memory stays constant however many times it occurs.
 */
export class Occurrences {
  count = 0;
  first: number | undefined;
  last: number | undefined;
  private readonly head: EvidenceLocator[] = [];
  private tailSample: EvidenceLocator | undefined;

  add(source: string, line: number | undefined, at: number | undefined, excerpt: string): void {
    this.count += 1;
    if (at !== undefined) {
      if (this.first === undefined || at < this.first) this.first = at;
      if (this.last === undefined || at > this.last) this.last = at;
    }
    const locator = makeLocator(source, line, at, excerpt);
    if (this.head.length < HEAD_SAMPLES) this.head.push(locator);
    else this.tailSample = locator;
  }

  /** Counts an occurrence without keeping a sample (cheap path for repeated lines). */
  addCountOnly(at: number | undefined): void {
    this.count += 1;
    if (at !== undefined) {
      if (this.first === undefined || at < this.first) this.first = at;
      if (this.last === undefined || at > this.last) this.last = at;
    }
  }

  get evidence(): EvidenceLocator[] {
    return this.tailSample ? [...this.head, this.tailSample] : [...this.head];
  }

  get firstSeen(): string | undefined {
    return iso(this.first);
  }

  get lastSeen(): string | undefined {
    return iso(this.last);
  }
}

export function makeLocator(
  source: string,
  line: number | undefined,
  at: number | undefined,
  excerpt: string,
): EvidenceLocator {
  const trimmed = excerpt.length > MAX_EXCERPT ? `${excerpt.slice(0, MAX_EXCERPT - 1)}…` : excerpt;
  const locator: EvidenceLocator = { source, excerpt: trimmed };
  if (line !== undefined) locator.line = line;
  const when = iso(at);
  if (when) locator.at = when;
  return locator;
}

/** A map of kind → occurrences, created on first use. */
export class OccurrenceTable<K extends string = string> {
  private readonly table = new Map<K, Occurrences>();

  get(kind: K): Occurrences {
    let found = this.table.get(kind);
    if (!found) {
      found = new Occurrences();
      this.table.set(kind, found);
    }
    return found;
  }

  peek(kind: K): Occurrences | undefined {
    return this.table.get(kind);
  }

  entries(): Array<[K, Occurrences]> {
    return [...this.table];
  }
}
