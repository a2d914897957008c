import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { openDirectorySource } from "../../src/evidence/directory-source.ts";
import { MAX_LINE_BYTES, scanLines, scanMatchingLines, splitLines, type LineCursor } from "../../src/evidence/lines.ts";
import { MultiLiteral } from "../../src/evidence/multi-literal.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { pseudoRandomBytes, seededRandom, TempDirs } from "./helpers.ts";
import { mkdir } from "node:fs/promises";

const temps = new TempDirs();
afterEach(() => temps.cleanup());

interface Seen {
  lineNo: number;
  text: string;
  truncated: boolean;
}

const keep = (out: Seen[]) => (line: LineCursor) => {
  out.push({ lineNo: line.lineNo, text: line.text(), truncated: line.truncated });
};

/** The same bytes, served in chunks of sizes drawn from `size` (to put boundaries everywhere). */
function rechunked(data: Buffer, size: () => number): EvidenceSource {
  const base = createMemorySource({ "f.log": data });
  return {
    ...base,
    async *chunks() {
      for (let offset = 0; offset < data.length;) {
        const n = Math.max(1, size());
        yield data.subarray(offset, offset + n);
        offset += n;
      }
    },
  };
}

async function allLines(
  source: EvidenceSource,
  path = "f.log",
): Promise<{ lines: Seen[]; stats: { bytesRead: number; linesScanned: number } }> {
  const lines: Seen[] = [];
  const stats = await scanLines(source, path, keep(lines));
  return { lines, stats };
}

async function matching(
  source: EvidenceSource,
  prefilter: RegExp | MultiLiteral,
  path = "f.log",
): Promise<{ lines: Seen[]; stats: { bytesRead: number; linesScanned: number } }> {
  const lines: Seen[] = [];
  const stats = await scanMatchingLines(source, path, prefilter, keep(lines));
  return { lines, stats };
}

/** A few thousand random log lines: varied lengths, some CRLF, some empty, keywords sprinkled. */
function randomLog(
  count: number,
  seed: number,
  options: { longLines?: boolean } = {},
): { data: Buffer; lines: string[] } {
  const random = seededRandom(seed);
  const words = [
    "kubelet",
    "containerd",
    "ipamd",
    "OOMKilled",
    "error",
    "ERROR",
    "timeout",
    "ok",
    "pod",
    "eni-0abc",
    "10.0.1.23",
    "é",
    "ü",
  ];
  const lines: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < count; i += 1) {
    let line = "";
    const r = random();
    if (r < 0.03) line = "";
    else if (options.longLines && r < 0.05)
      line = `ERROR long ${i} ${"z".repeat(MAX_LINE_BYTES + Math.floor(random() * 3000))}`;
    else {
      const target = Math.floor(random() * 1500);
      while (line.length < target) line += `${words[Math.floor(random() * words.length)]} `;
      line = `${i}: ${line}`;
    }
    lines.push(line);
    parts.push(line, random() < 0.2 ? "\r\n" : "\n");
  }
  return { data: Buffer.from(parts.join("")), lines };
}

describe("scanLines", () => {
  it("yields every line with exact numbers, wherever the chunk boundaries fall", async () => {
    const { data, lines } = randomLog(3000, 1);
    expect(data.length).toBeGreaterThan(1 << 20);
    const random = seededRandom(2);
    for (const source of [
      createMemorySource({ "f.log": data }),
      rechunked(data, () => 1 + Math.floor(random() * 5000)),
    ]) {
      const { lines: seen, stats } = await allLines(source);
      expect(stats).toEqual({ bytesRead: data.length, linesScanned: lines.length });
      expect(seen.map((l) => l.text)).toEqual(lines);
      expect(seen.map((l) => l.lineNo)).toEqual(lines.map((_, i) => i + 1));
      expect(seen.every((l) => !l.truncated)).toBe(true);
    }
    // One byte at a time, on the first few hundred lines (enough to cross every kind of boundary).
    const small = randomLog(80, 1);
    const { lines: bytewise } = await allLines(rechunked(small.data, () => 1));
    expect(bytewise.map((l) => l.text)).toEqual(small.lines);
    const { lines: bytewiseHits } = await matching(
      rechunked(small.data, () => 1),
      /ERROR|timeout/g,
    );
    expect(bytewiseHits).toEqual(bytewise.filter((l) => /ERROR|timeout/.test(l.text)));
  });

  it("strips CR from CRLF line endings, also when CR and LF sit in different chunks", async () => {
    const data = Buffer.from("first\r\nsecond\r\n\r\nfourth\r\nlast-without-newline");
    for (let split = 1; split < data.length; split += 1) {
      const source: EvidenceSource = {
        ...createMemorySource({ "f.log": data }),
        async *chunks() {
          yield data.subarray(0, split);
          yield data.subarray(split);
        },
      };
      const { lines } = await allLines(source);
      expect(
        lines.map((l) => l.text),
        `split at ${split}`,
      ).toEqual(["first", "second", "", "fourth", "last-without-newline"]);
      const { lines: hits } = await matching(source, /o/g);
      expect(
        hits.map((l) => [l.lineNo, l.text]),
        `split at ${split}`,
      ).toEqual([
        [2, "second"],
        [4, "fourth"],
        [5, "last-without-newline"],
      ]);
    }
    expect(splitLines("a\r\nb\r\n")).toEqual(["a", "b"]);
  });

  it("yields nothing for an empty member and one line for a lone newline", async () => {
    expect((await allLines(createMemorySource({ "f.log": "" }))).lines).toEqual([]);
    expect((await allLines(createMemorySource({ "f.log": "\n" }))).lines).toEqual([
      { lineNo: 1, text: "", truncated: false },
    ]);
    expect((await matching(createMemorySource({ "f.log": "" }), /x/g)).stats).toEqual({
      bytesRead: 0,
      linesScanned: 0,
    });
  });

  it("stops when the visitor returns false", async () => {
    const source = createMemorySource({ "f.log": "a\nb\nc\nd\n" });
    const seen: string[] = [];
    const stats = await scanLines(source, "f.log", (line) => {
      seen.push(line.text());
      return seen.length < 2;
    });
    expect(seen).toEqual(["a", "b"]);
    expect(stats.linesScanned).toBe(2);
    const hits: string[] = [];
    await scanMatchingLines(source, "f.log", /[a-d]/g, (line) => {
      hits.push(line.text());
      return false;
    });
    expect(hits).toEqual(["a"]);
  });

  it("cuts lines at MAX_LINE_BYTES and marks them truncated, whatever the chunking", async () => {
    const long = "L".repeat(MAX_LINE_BYTES + 10);
    const exact = "E".repeat(MAX_LINE_BYTES);
    const data = Buffer.from(`short\n${long}\n${exact}\nafter\n${long}`);
    const random = seededRandom(9);
    for (const source of [
      createMemorySource({ "f.log": data }),
      rechunked(data, () => 1 + Math.floor(random() * 70_000)),
      rechunked(data, () => 4096),
    ]) {
      const { lines } = await allLines(source);
      expect(lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual([
        [1, 5, false],
        [2, MAX_LINE_BYTES, true],
        [3, MAX_LINE_BYTES, false],
        [4, 5, false],
        [5, MAX_LINE_BYTES, true],
      ]);
      const { lines: hits } = await matching(source, /short|LLLL|EEEE|after/g);
      expect(hits.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual([
        [1, 5, false],
        [2, MAX_LINE_BYTES, true],
        [3, MAX_LINE_BYTES, false],
        [4, 5, false],
        [5, MAX_LINE_BYTES, true],
      ]);
    }
  });

  it("marks a line truncated when it reaches the cap exactly at a chunk's end and goes on in the next chunk", async () => {
    const first = Buffer.from(`KEY${"a".repeat(MAX_LINE_BYTES - 3)}`);
    const source: EvidenceSource = {
      ...createMemorySource({ "f.log": "" }),
      async *chunks() {
        yield first;
        yield Buffer.from("bbb\nKEY next\n");
      },
    };
    const expected = [
      [1, MAX_LINE_BYTES, true],
      [2, 8, false],
    ];
    expect((await allLines(source)).lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual(expected);
    expect((await matching(source, /KEY/g)).lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual(expected);
  });

  it("does not throw on binary garbage with NULs and invalid UTF-8", async () => {
    const garbage = pseudoRandomBytes(2 * 1024 * 1024, 4321);
    const random = seededRandom(5);
    for (const source of [
      createMemorySource({ "f.log": garbage }),
      rechunked(garbage, () => 1 + Math.floor(random() * 100_000)),
    ]) {
      const { stats } = await allLines(source);
      expect(stats.bytesRead).toBe(garbage.length);
      const { stats: matched } = await matching(source, /\xfe\xfe|\xff/g);
      expect(matched.linesScanned).toBe(stats.linesScanned);
    }
  });
});

describe("scanMatchingLines", () => {
  it("reports the same line numbers and texts as scanLines on a few thousand random lines across chunk boundaries", async () => {
    const { data } = randomLog(4000, 3, { longLines: true });
    expect(data.length).toBeGreaterThan(2 << 20);
    const prefilter = /OOMKilled|ERROR|timeout/g;
    const probe = /OOMKilled|ERROR|timeout/;
    const random = seededRandom(4);
    const sources = [
      createMemorySource({ "f.log": data }),
      rechunked(data, () => 1 + Math.floor(random() * 200_000)),
      rechunked(data, () => 1 + Math.floor(random() * 3000)),
      rechunked(data, () => (1 << 20) - 1),
    ];
    const reference = await allLines(sources[0] as EvidenceSource);
    const expected = reference.lines.filter((l) => probe.test(l.text));
    expect(expected.length).toBeGreaterThan(500);
    expect(expected.some((l) => l.truncated)).toBe(true);
    for (const source of sources) {
      for (const filter of [prefilter, new MultiLiteral(["OOMKilled", "ERROR", "timeout"])]) {
        const { lines, stats } = await matching(source, filter);
        expect(stats).toEqual(reference.stats);
        expect(lines.map((l) => l.lineNo)).toEqual(expected.map((l) => l.lineNo));
        expect(lines.map((l) => l.text)).toEqual(expected.map((l) => l.text));
        expect(lines.map((l) => l.truncated)).toEqual(expected.map((l) => l.truncated));
      }
      const { lines, stats } = await matching(source, prefilter);
      expect(stats).toEqual(reference.stats);
      expect(lines.map((l) => l.lineNo)).toEqual(expected.map((l) => l.lineNo));
      expect(lines.map((l) => l.text)).toEqual(expected.map((l) => l.text));
      expect(lines.map((l) => l.truncated)).toEqual(expected.map((l) => l.truncated));
    }
  });

  it("visits a line once even when the prefilter matches it several times", async () => {
    const source = createMemorySource({ "f.log": "error error error\nfine\nerror\n" });
    const { lines } = await matching(source, /error/g);
    expect(lines.map((l) => [l.lineNo, l.text])).toEqual([
      [1, "error error error"],
      [3, "error"],
    ]);
  });

  it("finds the same lines with the byte matcher as with the equivalent regex, UTF-8 text intact", async () => {
    const source = createMemorySource({ "f.log": "naïve error ü\r\nfine\nerr\nERROR é timeout\n\nlast error" });
    const byRegex = await matching(source, /error|timeout/g);
    const byBytes = await matching(source, new MultiLiteral(["error", "timeout"]));
    expect(byBytes).toEqual(byRegex);
    expect(byBytes.lines.map((l) => [l.lineNo, l.text])).toEqual([
      [1, "naïve error ü"],
      [4, "ERROR é timeout"],
      [6, "last error"],
    ]);
  });

  it("refuses a prefilter that is not global", async () => {
    await expect(
      scanMatchingLines(createMemorySource({ "f.log": "x\n" }), "f.log", /x/, () => undefined),
    ).rejects.toThrow(/global/);
  });
});

describe("a 50 MB single line", () => {
  async function writeHugeLine(file: string, prefix: string, bytes: number, suffix: string): Promise<void> {
    const out = createWriteStream(file);
    const block = Buffer.alloc(1 << 20, "x");
    out.write(prefix);
    for (let left = bytes; left > 0; left -= block.length) {
      if (!out.write(left >= block.length ? block : block.subarray(0, left))) await once(out, "drain");
    }
    out.end(suffix);
    await once(out, "finish");
  }

  it("is yielded cut to MAX_LINE_BYTES with truncated: true by both scanners, in bounded memory", async () => {
    const bundle = await temps.make();
    await mkdir(join(bundle, "var_log"));
    const size = 50 * 1024 * 1024;
    await writeHugeLine(join(bundle, "var_log", "messages"), "KEYWORD ", size, "\nthe tail line\n");
    await writeHugeLine(join(bundle, "var_log", "syslog"), "KEYWORD ", 5 * 1024 * 1024, "");
    const source = await openDirectorySource(bundle);

    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 5);
    const before = process.memoryUsage().rss;
    try {
      const all = await allLines(source, "var_log/messages");
      sample();
      expect(all.stats).toEqual({ bytesRead: size + 8 + 15, linesScanned: 2 });
      expect(all.lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual([
        [1, MAX_LINE_BYTES, true],
        [2, 13, false],
      ]);
      expect(all.lines[0]?.text.startsWith("KEYWORD xxx")).toBe(true);
      expect(all.lines[1]?.text).toBe("the tail line");

      const hits = await matching(source, /KEYWORD|tail line/g, "var_log/messages");
      sample();
      expect(hits.stats).toEqual(all.stats);
      expect(hits.lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual([
        [1, MAX_LINE_BYTES, true],
        [2, 13, false],
      ]);

      // Without a final newline too (a smaller one: the path is the same).
      const last = await allLines(source, "var_log/syslog");
      expect(last.lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual([[1, MAX_LINE_BYTES, true]]);
      const lastHits = await matching(source, /KEYWORD/g, "var_log/syslog");
      expect(lastHits.lines.map((l) => [l.lineNo, l.text.length, l.truncated])).toEqual([[1, MAX_LINE_BYTES, true]]);
      sample();
    } finally {
      clearInterval(timer);
    }
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  });
});
