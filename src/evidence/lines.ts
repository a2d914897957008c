import { MultiLiteral } from "./multi-literal.ts";
import type { EvidenceSource } from "./source.ts";

/** Lines longer than this are cut: a 50 MB single line must not become a 50 MB string. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * The line a scanner is looking at. One object is reused for every line, so keeping it is wrong:
 * copy what you need. `chunk` is a Latin-1 view of raw bytes, so string offsets are byte offsets and
 * no UTF-8 decoding happens for lines nobody keeps.
 */
export interface LineCursor {
  chunk: string;
  start: number;
  end: number;
  lineNo: number;
  truncated: boolean;
  /** The current line decoded as UTF-8 (allocates: call only for lines you keep). */
  text(): string;
}

export interface ScanStats {
  bytesRead: number;
  linesScanned: number;
}

/**
 * Calls `visit` for every line of a member, streaming, with bounded memory. Returning `false` from
 * `visit` stops the scan. This is the hot loop of every log analyzer: it does no regex work itself.
 */
export async function scanLines(
  source: EvidenceSource,
  path: string,
  visit: (line: LineCursor) => void | boolean,
  signal?: AbortSignal,
): Promise<ScanStats> {
  let bytesRead = 0;
  let lineNo = 0;
  let carry: Buffer | undefined;
  let carryTruncated = false;
  let buffer: Buffer = Buffer.alloc(0);
  const cursor: LineCursor = {
    chunk: "",
    start: 0,
    end: 0,
    lineNo: 0,
    truncated: false,
    text() {
      return buffer.toString("utf8", cursor.start, cursor.end);
    },
  };
  const emit = (buf: Buffer, chunk: string, start: number, end: number, truncated: boolean): boolean => {
    lineNo += 1;
    buffer = buf;
    cursor.chunk = chunk;
    cursor.start = start;
    cursor.end = end > start && buf[end - 1] === 13 ? end - 1 : end;
    cursor.lineNo = lineNo;
    cursor.truncated = truncated;
    return visit(cursor) !== false;
  };

  for await (const piece of source.chunks(path, signal)) {
    bytesRead += piece.length;
    const data = piece;
    let pos = 0;
    if (carry) {
      const nl = data.indexOf(10, pos);
      if (nl < 0) {
        const room = MAX_LINE_BYTES - carry.length;
        if (room > 0) carry = Buffer.concat([carry, data.subarray(pos, pos + room)]);
        if (data.length - pos > room) carryTruncated = true;
        continue;
      }
      const head = data.subarray(pos, Math.min(nl, pos + MAX_LINE_BYTES - carry.length));
      const whole = Buffer.concat([carry, head]);
      const truncated = carryTruncated || nl - pos > head.length;
      carry = undefined;
      carryTruncated = false;
      if (!emit(whole, whole.toString("latin1"), 0, whole.length, truncated))
        return { bytesRead, linesScanned: lineNo };
      pos = nl + 1;
    }
    const lastNl = data.lastIndexOf(10);
    if (lastNl >= pos) {
      const chunk = data.toString("latin1", 0, lastNl + 1);
      let start = pos;
      while (start <= lastNl) {
        let nl = chunk.indexOf("\n", start);
        if (nl < 0) nl = lastNl;
        let end = nl;
        let truncated = false;
        if (end - start > MAX_LINE_BYTES) {
          end = start + MAX_LINE_BYTES;
          truncated = true;
        }
        if (!emit(data, chunk, start, end, truncated)) return { bytesRead, linesScanned: lineNo };
        start = nl + 1;
      }
      pos = lastNl + 1;
    }
    if (pos < data.length) {
      const rest = data.subarray(pos);
      if (rest.length > MAX_LINE_BYTES) {
        carry = Buffer.from(rest.subarray(0, MAX_LINE_BYTES));
        carryTruncated = true;
      } else {
        carry = Buffer.from(rest);
      }
    }
  }
  if (carry && carry.length > 0) emit(carry, carry.toString("latin1"), 0, carry.length, carryTruncated);
  return { bytesRead, linesScanned: lineNo };
}

/** Splits a small text into lines (for files read whole). */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/**
 * Calls `visit` only for lines in which `prefilter` (a global regex of literal alternatives) matches.
 * The regex runs over whole Latin-1 chunks, as grep does, instead of once per line: on a gigabyte
 * journal almost no line matters, and a per-line loop would cost more than the search itself.
 * Line numbers stay exact (newlines between matches are counted with indexOf).
 */
export async function scanMatchingLines(
  source: EvidenceSource,
  path: string,
  prefilter: RegExp | MultiLiteral,
  visit: (line: LineCursor) => void | boolean,
  signal?: AbortSignal,
): Promise<ScanStats> {
  if (prefilter instanceof RegExp && !prefilter.global) throw new Error("scanMatchingLines needs a global regex");
  let bytesRead = 0;
  let lineNo = 0;
  let carry: Buffer | undefined;
  let carryTruncated = false;
  let data: Buffer = Buffer.alloc(0);
  // Where cursor.chunk starts in `data`: 0 for chunk strings, the line's offset for byte matches.
  let byteBase = 0;
  const cursor: LineCursor = {
    chunk: "",
    start: 0,
    end: 0,
    lineNo: 0,
    truncated: false,
    text() {
      return data.toString("utf8", byteBase + cursor.start, byteBase + cursor.end);
    },
  };
  // Byte path: search raw bytes, decode only the matching lines (Latin-1, so offsets stay bytes).
  const scanBytes = (buf: Buffer, end: number, matcher: MultiLiteral, truncatedFirst: boolean): boolean => {
    let counted = 0;
    let from = 0;
    while (from < end) {
      const hit = matcher.search(buf, from, end);
      if (hit < 0) break;
      const lineStart = buf.lastIndexOf(10, hit) + 1;
      let lineEnd = buf.indexOf(10, hit);
      if (lineEnd < 0 || lineEnd > end) lineEnd = end;
      for (let nl = buf.indexOf(10, counted); nl >= 0 && nl < lineStart; nl = buf.indexOf(10, nl + 1)) {
        lineNo += 1;
        counted = nl + 1;
      }
      let stop = lineEnd > lineStart && buf[lineEnd - 1] === 13 ? lineEnd - 1 : lineEnd;
      const tooLong = stop - lineStart > MAX_LINE_BYTES;
      if (tooLong) stop = lineStart + MAX_LINE_BYTES;
      byteBase = lineStart;
      cursor.chunk = buf.toString("latin1", lineStart, stop);
      cursor.start = 0;
      cursor.end = stop - lineStart;
      cursor.lineNo = lineNo + 1;
      cursor.truncated = (truncatedFirst && lineStart === 0) || tooLong;
      if (visit(cursor) === false) return false;
      from = lineEnd + 1;
    }
    for (let nl = buf.indexOf(10, counted); nl >= 0 && nl < end; nl = buf.indexOf(10, nl + 1)) lineNo += 1;
    return true;
  };
  const scanChunk = (buf: Buffer, truncatedFirst: boolean): boolean => {
    data = buf;
    byteBase = 0;
    return prefilter instanceof MultiLiteral
      ? scanBytes(buf, buf.length, prefilter, truncatedFirst)
      : scanText(buf.toString("latin1"), truncatedFirst);
  };
  // Scans `s` (complete lines only); returns false when the visitor asked to stop.
  const scanText = (s: string, truncatedFirst: boolean): boolean => {
    const regex = prefilter as RegExp;
    let counted = 0;
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(s)) !== null) {
      const lineStart = s.lastIndexOf("\n", match.index) + 1;
      let lineEnd = s.indexOf("\n", match.index);
      if (lineEnd < 0) lineEnd = s.length;
      while (counted < lineStart) {
        const nl = s.indexOf("\n", counted);
        if (nl < 0 || nl >= lineStart) break;
        lineNo += 1;
        counted = nl + 1;
      }
      cursor.chunk = s;
      cursor.start = lineStart;
      cursor.end = lineEnd > lineStart && s.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
      if (cursor.end - cursor.start > MAX_LINE_BYTES) cursor.end = cursor.start + MAX_LINE_BYTES;
      cursor.lineNo = lineNo + 1;
      cursor.truncated = (truncatedFirst && lineStart === 0) || lineEnd - lineStart > MAX_LINE_BYTES;
      if (visit(cursor) === false) return false;
      regex.lastIndex = lineEnd + 1;
    }
    while (counted < s.length) {
      const nl = s.indexOf("\n", counted);
      if (nl < 0) break;
      lineNo += 1;
      counted = nl + 1;
    }
    return true;
  };

  for await (const piece of source.chunks(path, signal)) {
    bytesRead += piece.length;
    const lastNl = piece.lastIndexOf(10);
    if (lastNl < 0) {
      // No line ends in this piece: keep at most MAX_LINE_BYTES of the line in progress.
      const base = carry ?? Buffer.alloc(0);
      const room = MAX_LINE_BYTES - base.length;
      if (room > 0) carry = Buffer.concat([base, piece.subarray(0, room)]);
      if (piece.length > room) carryTruncated = true;
      continue;
    }
    let head = piece.subarray(0, lastNl + 1);
    let truncatedFirst = carryTruncated;
    if (carry) {
      const firstNl = piece.indexOf(10);
      // A long line already at its cap: drop the rest of it, keep its newline.
      if (carry.length >= MAX_LINE_BYTES) {
        head = Buffer.concat([carry, piece.subarray(firstNl, lastNl + 1)]);
        // The cap was reached exactly at the previous piece's end: bytes dropped here cut the line.
        if (firstNl > 0) truncatedFirst = true;
      } else head = Buffer.concat([carry, piece.subarray(0, lastNl + 1)]);
    }
    carry = undefined;
    carryTruncated = false;
    if (!scanChunk(head, truncatedFirst)) return { bytesRead, linesScanned: lineNo };
    const rest = piece.subarray(lastNl + 1);
    if (rest.length > 0) {
      carry = Buffer.from(rest.subarray(0, MAX_LINE_BYTES));
      carryTruncated = rest.length > MAX_LINE_BYTES;
    }
  }
  if (carry && carry.length > 0) scanChunk(Buffer.concat([carry, Buffer.from("\n")]), carryTruncated);
  return { bytesRead, linesScanned: lineNo };
}
