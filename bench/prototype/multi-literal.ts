/**
 * PROTOTYPE (bench only, not used by fathom): a byte-level multi-literal matcher (Wu–Manber with
 * 2-byte blocks) and a line scanner built on it, to measure what replacing the chunk-wide RegExp
 * alternation of src/evidence/lines.ts:scanMatchingLines would gain. Same contract as the real
 * scanner for what the bench needs: every line containing at least one literal is visited once,
 * with its exact 1-based line number.
 */
import type { EvidenceSource } from "../../src/evidence/source.ts";

export class MultiLiteral {
  /** Shortest literal: the window the shift table works on. */
  private readonly m: number;
  private readonly shift: Uint8Array;
  private readonly buckets: Array<Uint8Array[] | undefined>;

  constructor(literals: readonly string[]) {
    const needles = literals.map((l) => Buffer.from(l, "latin1"));
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

  /** Offset where some literal starts at or after `from` (before `end`), or -1. */
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
}

/** Visits every line with a literal, streaming; `line` is the Latin-1 text of that line only. */
export async function scanMatchingLinesBytes(source: EvidenceSource, path: string, matcher: MultiLiteral, visit: (line: string, lineNo: number) => void): Promise<{ bytesRead: number; linesScanned: number }> {
  let bytesRead = 0;
  let lineNo = 0;
  let carry: Buffer | undefined;
  const scan = (data: Buffer, end: number) => {
    let counted = 0; // newlines before `counted` are in lineNo
    let from = 0;
    while (from < end) {
      const hit = matcher.search(data, from, end);
      if (hit < 0) break;
      const lineStart = data.lastIndexOf(10, hit) + 1;
      let lineEnd = data.indexOf(10, hit);
      if (lineEnd < 0 || lineEnd > end) lineEnd = end;
      for (let nl = data.indexOf(10, counted); nl >= 0 && nl < lineStart; nl = data.indexOf(10, nl + 1)) {
        lineNo += 1;
        counted = nl + 1;
      }
      visit(data.toString("latin1", lineStart, lineEnd), lineNo + 1);
      from = lineEnd + 1;
    }
    for (let nl = data.indexOf(10, counted); nl >= 0 && nl < end; nl = data.indexOf(10, nl + 1)) lineNo += 1;
  };
  for await (const piece of source.chunks(path)) {
    bytesRead += piece.length;
    const lastNl = piece.lastIndexOf(10);
    if (lastNl < 0) {
      carry = carry ? Buffer.concat([carry, piece]) : Buffer.from(piece);
      continue;
    }
    const data = carry ? Buffer.concat([carry, piece]) : piece;
    const end = (carry?.length ?? 0) + lastNl + 1;
    scan(data, end);
    carry = lastNl + 1 < piece.length ? Buffer.from(piece.subarray(lastNl + 1)) : undefined;
  }
  if (carry) {
    const data = Buffer.concat([carry, Buffer.from("\n")]);
    scan(data, data.length);
  }
  return { bytesRead, linesScanned: lineNo };
}
