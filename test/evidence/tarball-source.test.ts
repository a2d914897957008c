import { mkdir, readFile, readdir, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { EvidenceError } from "../../src/evidence/errors.ts";
import { scanLines } from "../../src/evidence/lines.ts";
import { openBundle } from "../../src/evidence/open-bundle.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { DEFAULT_ARCHIVE_LIMITS, openTarballSource, type ArchiveLimits } from "../../src/evidence/tarball-source.ts";
import {
  collect,
  exists,
  listTree,
  pseudoRandomBytes,
  tarBytes,
  tarGzBytes,
  TempDirs,
  writeTarGz,
  type TarMember,
} from "./helpers.ts";

const temps = new TempDirs();
const opened: EvidenceSource[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((source) => source.close()));
  await temps.cleanup();
});

/** A test area: `scratch` (where the source expands archives) sits two levels below `root`. */
async function area(): Promise<{ root: string; scratch: string; archive: (name: string) => string }> {
  const root = await temps.make();
  const scratch = join(root, "a", "b", "scratch");
  await mkdir(scratch, { recursive: true });
  return { root, scratch, archive: (name) => join(root, name) };
}

async function open(file: string, scratch: string, limits?: ArchiveLimits): Promise<EvidenceSource> {
  const source = await openTarballSource(file, limits, scratch);
  opened.push(source);
  return source;
}

async function paths(source: EvidenceSource): Promise<string[]> {
  return (await source.list()).map((entry) => entry.path).sort();
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("openTarballSource: an ordinary bundle", () => {
  it("serves members named with and without ./ under the same normalized paths", async () => {
    const { scratch, archive } = await area();
    const file = archive("eks_i-0abc_2026-11-24_1030-UTC_0.7.9.tar.gz");
    await writeTarGz(file, [
      { name: "./", type: "directory" },
      { name: "./kubelet/", type: "directory" },
      { name: "./kubelet/kubelet.log", content: "Nov 24 10:01:02 ip-10-0-1-2 kubelet[1]: hello\n" },
      { name: "system/instance-id.txt", content: "i-0abc1234567890def\n" },
      { name: "ipamd/", type: "directory" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["kubelet/kubelet.log", "system/instance-id.txt"]);
    expect(await source.skipped()).toEqual([]);
    expect(await source.problems()).toEqual([]);
    expect((await source.read("./system/instance-id.txt", 1024)).toString()).toBe("i-0abc1234567890def\n");
    expect((await source.read("kubelet/kubelet.log", 1024)).toString()).toContain("hello");
    expect(await source.stat("./kubelet/kubelet.log")).toEqual({ path: "kubelet/kubelet.log", size: 46 });
    expect(source.name).toBe("eks_i-0abc_2026-11-24_1030-UTC_0.7.9.tar.gz");
    expect(source.label).toBe(file);
  });

  it("extracts every member of an archive with many members, not only the first", async () => {
    const { scratch, archive } = await area();
    const file = archive("many.tar.gz");
    const members: TarMember[] = Array.from({ length: 120 }, (_, i) => ({
      name: `./var_log/pod-${i}.log`,
      content: `line of pod ${i}\n`.repeat(i + 1),
    }));
    await writeTarGz(file, members);
    const source = await open(file, scratch);
    expect((await source.list()).length).toBe(120);
    expect(await source.problems()).toEqual([]);
    expect((await source.read("var_log/pod-119.log", 1 << 20)).toString()).toBe("line of pod 119\n".repeat(120));
  });

  it("keeps deeply nested members at their full path", async () => {
    const { scratch, archive } = await area();
    const deep = Array.from({ length: 60 }, (_, i) => `level${i}`).join("/");
    const file = archive("deep.tar.gz");
    await writeTarGz(file, [{ name: `./${deep}/leaf.txt`, content: "deep" }]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual([`${deep}/leaf.txt`]);
    expect((await source.read(`${deep}/leaf.txt`, 100)).toString()).toBe("deep");
  });

  it("serves an empty member as an empty file", async () => {
    const { scratch, archive } = await area();
    const file = archive("empty-member.tar.gz");
    await writeTarGz(file, [
      { name: "./ipamd/enis.json", content: "" },
      { name: "./ipamd/metrics.json", content: "awscni_total_ip_addresses 10\n" },
    ]);
    const source = await open(file, scratch);
    expect(await source.stat("ipamd/enis.json")).toEqual({ path: "ipamd/enis.json", size: 0 });
    expect((await source.read("ipamd/enis.json", 10)).length).toBe(0);
    expect((await collect(source.chunks("ipamd/enis.json"))).length).toBe(0);
    let lines = 0;
    await scanLines(source, "ipamd/enis.json", () => {
      lines += 1;
    });
    expect(lines).toBe(0);
  });

  it("opens a bundle with half the top-level folders missing", async () => {
    const { scratch, archive } = await area();
    const file = archive("half.tar.gz");
    await writeTarGz(file, [
      { name: "./kernel/", type: "directory" },
      { name: "./kernel/dmesg.current", content: "[    1.000000] Linux version\n" },
      { name: "./system/", type: "directory" },
      { name: "./networking/", type: "directory" },
      { name: "./ipamd/", type: "directory" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["kernel/dmesg.current"]);
    expect(await source.stat("kubelet/kubelet.log")).toBeUndefined();
    const missing = await rejection(source.read("kubelet/kubelet.log", 100));
    expect(missing).toBeInstanceOf(EvidenceError);
    expect(missing.message).toMatch(/not in the bundle/);
  });

  it("opens through openBundle for a .tar.gz and for a folder alike", async () => {
    const { root, scratch, archive } = await area();
    const file = archive("bundle.tgz");
    await writeTarGz(file, [{ name: "./system/ps.txt", content: "PID\n" }]);
    const fromArchive = await openBundle(file, { scratchRoot: scratch });
    opened.push(fromArchive);
    expect(await paths(fromArchive)).toEqual(["system/ps.txt"]);
    const folder = join(root, "folder");
    await mkdir(join(folder, "system"), { recursive: true });
    await writeFile(join(folder, "system", "ps.txt"), "PID\n");
    const fromFolder = await openBundle(folder);
    opened.push(fromFolder);
    expect(await paths(fromFolder)).toEqual(["system/ps.txt"]);
    const missing = await rejection(openBundle(join(root, "nope.tar.gz")));
    expect(missing).toBeInstanceOf(EvidenceError);
    expect(missing.message).toContain("nope.tar.gz");
  });
});

describe("openTarballSource: expanded once", () => {
  it("reads every member many times after the archive itself is gone", async () => {
    const { scratch, archive } = await area();
    const file = archive("once.tar.gz");
    const big = pseudoRandomBytes(3 * 1024 * 1024, 7);
    await writeTarGz(file, [
      { name: "./kubelet/kubelet.log", content: "one\ntwo\nthree\n" },
      { name: "./system/big.bin", content: big },
    ]);
    const source = await open(file, scratch);
    await unlink(file);
    for (let round = 0; round < 25; round += 1) {
      expect((await source.read("kubelet/kubelet.log", 1024)).toString()).toBe("one\ntwo\nthree\n");
      expect((await source.tail("kubelet/kubelet.log", 6)).toString()).toBe("three\n");
      expect((await source.list()).length).toBe(2);
    }
    for (let round = 0; round < 3; round += 1) {
      expect((await collect(source.chunks("system/big.bin"))).equals(big)).toBe(true);
      expect((await source.tail("system/big.bin", 100)).equals(big.subarray(big.length - 100))).toBe(true);
    }
  });

  it("removes its private temp folder on close, and only that", async () => {
    const { root, scratch, archive } = await area();
    const file = archive("close.tar.gz");
    await writeTarGz(file, [{ name: "./system/ps.txt", content: "PID\n" }]);
    const source = await openTarballSource(file, undefined, scratch);
    const [expanded] = await readdir(scratch);
    expect(expanded).toMatch(/^fathom-bundle-/);
    expect(await exists(join(scratch, expanded as string, "system", "ps.txt"))).toBe(true);
    await source.close();
    expect(await readdir(scratch)).toEqual([]);
    expect(await exists(file)).toBe(true);
    expect(await listTree(root)).toEqual(["a", "a/b", "a/b/scratch", "close.tar.gz"]);
  });

  it("refuses a member larger than the reader's bound without reading it whole", async () => {
    const { scratch, archive } = await area();
    const file = archive("bound.tar.gz");
    await writeTarGz(file, [{ name: "./var_log/messages", content: "x".repeat(10_000) }]);
    const source = await open(file, scratch);
    const refused = await rejection(source.read("var_log/messages", 1000));
    expect(refused).toBeInstanceOf(EvidenceError);
    expect(refused.message).toMatch(/10000 bytes, more than the 1000/);
    expect((await source.tail("var_log/messages", 1000)).length).toBe(1000);
  });
});

describe("openTarballSource: hostile member names and types", () => {
  it("refuses a tar member whose name climbs out with ../ and writes nothing outside", async () => {
    const { root, scratch, archive } = await area();
    const file = archive("traversal.tar.gz");
    await writeTarGz(file, [
      { name: "../../etc/passwd", content: "root::0:0::/:/bin/sh\n" },
      { name: "./../x", content: "x" },
      { name: "./kubelet/../../../y", content: "y" },
      { name: "../../../../../../../../tmp/fathom-escape-probe", content: "z" },
      { name: "./system/ps.txt", content: "PID\n" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["system/ps.txt"]);
    const skipped = await source.skipped();
    expect(skipped.map((s) => s.path).sort()).toEqual(
      ["../../../../../../../../tmp/fathom-escape-probe", "../../etc/passwd", "./../x", "./kubelet/../../../y"].sort(),
    );
    for (const entry of skipped) expect(entry.reason).toMatch(/unsafe member name/);
    for (const name of ["../../etc/passwd", "./../x", "etc/passwd", "x"]) {
      const refused = await rejection(source.read(name, 1024));
      expect(refused).toBeInstanceOf(EvidenceError);
    }
    // Nothing landed next to the scratch folder, nor in the test area outside the expanded copy.
    const tree = (await listTree(root)).filter((p) => !p.startsWith("a/b/scratch/fathom-bundle-"));
    expect(tree).toEqual(["a", "a/b", "a/b/scratch", "traversal.tar.gz"]);
    expect(await exists("/tmp/fathom-escape-probe")).toBe(false);
    const [expanded] = await readdir(scratch);
    expect(await listTree(join(scratch, expanded as string))).toEqual(["system", "system/ps.txt"]);
  });

  it("refuses absolute member names and writes nothing at those paths", async () => {
    const { root, scratch, archive } = await area();
    const outside = join(root, "outside");
    const file = archive("absolute.tar.gz");
    const passwdBefore = await readFile("/etc/passwd");
    await writeTarGz(file, [
      { name: "/etc/passwd", content: "root::0:0::/:/bin/sh\n" },
      { name: `${outside}/abs-pwned`, content: "pwned" },
      { name: "./ok.txt", content: "ok" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["ok.txt"]);
    expect((await source.skipped()).map((s) => s.path).sort()).toEqual(["/etc/passwd", `${outside}/abs-pwned`].sort());
    expect(await exists(outside)).toBe(false);
    expect((await readFile("/etc/passwd")).equals(passwdBefore)).toBe(true);
    expect(await rejection(source.read("/etc/passwd", 1 << 20))).toBeInstanceOf(EvidenceError);
  });

  it("records symlinks and hardlinks as skipped, does not create them, and does not read through them", async () => {
    const { root, scratch, archive } = await area();
    const outside = join(root, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "secret.txt"), "top secret\n");
    const file = archive("links.tar.gz");
    await writeTarGz(file, [
      { name: "./kubelet/kubelet.log", type: "symlink", linkname: "/etc/passwd" },
      { name: "./system/secret.txt", type: "symlink", linkname: join(outside, "secret.txt") },
      { name: "./networking", type: "symlink", linkname: outside },
      { name: "./networking/planted.txt", content: "planted through a link?" },
      { name: "./system/hard.txt", type: "link", linkname: "../../../etc/passwd" },
      { name: "./system/hard2.txt", type: "link", linkname: "system/ps.txt" },
      { name: "./system/fifo", type: "fifo" },
      { name: "./system/ps.txt", content: "PID\n" },
    ]);
    const source = await open(file, scratch);
    const skipped = new Map((await source.skipped()).map((s) => [s.path, s.reason]));
    expect(skipped.get("kubelet/kubelet.log")).toMatch(/symlink member \(not followed\)/);
    expect(skipped.get("system/secret.txt")).toMatch(/symlink/);
    expect(skipped.get("networking")).toMatch(/symlink/);
    expect(skipped.get("system/hard.txt")).toMatch(/link member \(not followed\)/);
    expect(skipped.get("system/hard2.txt")).toMatch(/link member/);
    expect(skipped.get("system/fifo")).toMatch(/fifo member/);
    expect(await paths(source)).toEqual(["networking/planted.txt", "system/ps.txt"]);
    for (const name of ["kubelet/kubelet.log", "system/secret.txt", "system/hard.txt", "system/hard2.txt"]) {
      expect(await source.stat(name)).toBeUndefined();
      expect(await rejection(source.read(name, 1 << 20))).toBeInstanceOf(EvidenceError);
    }
    // The file "through" the link went into a real folder of the expanded copy, not into `outside`.
    expect(await readdir(outside)).toEqual(["secret.txt"]);
    expect((await source.read("networking/planted.txt", 100)).toString()).toBe("planted through a link?");
    const [expanded] = await readdir(scratch);
    const tree = await listTree(join(scratch, expanded as string));
    expect(tree).toEqual(["networking", "networking/planted.txt", "system", "system/ps.txt"]);
  });

  it("skips a duplicate member name and keeps extracting the rest", async () => {
    const { scratch, archive } = await area();
    const file = archive("duplicate.tar.gz");
    await writeTarGz(file, [
      { name: "./system/ps.txt", content: "first" },
      { name: "system/ps.txt", content: "second" },
      { name: "./system/top.txt", content: "top" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["system/ps.txt", "system/top.txt"]);
    expect((await source.read("system/ps.txt", 100)).toString()).toBe("first");
    expect(await source.skipped()).toEqual([
      { path: "system/ps.txt", reason: expect.stringMatching(/cannot be extracted \(EEXIST\)/) },
    ]);
    expect(await source.problems()).toEqual([]);
  });

  it("skips a member that cannot be created (a file where a folder is, a name too long for the filesystem) without crashing", async () => {
    const { scratch, archive } = await area();
    const file = archive("conflicts.tar.gz");
    await writeTarGz(file, [
      { name: "./kubelet/kubelet.log", content: "journal" },
      { name: "./kubelet", content: "a file where the folder is" },
      { name: "./system", content: "a file" },
      { name: "./system/ps.txt", content: "under a file" },
      { name: `./${"n".repeat(300)}`, content: "long component" },
      { name: "./sysctls/sysctl_all.txt", content: "net.ipv4.ip_forward = 1\n" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["kubelet/kubelet.log", "sysctls/sysctl_all.txt", "system"]);
    const skipped = new Map((await source.skipped()).map((s) => [s.path, s.reason]));
    expect(skipped.get("kubelet")).toMatch(/cannot be extracted/);
    expect(skipped.get("system/ps.txt")).toMatch(/cannot be extracted/);
    expect(skipped.get("n".repeat(300))).toMatch(/cannot be extracted \(ENAMETOOLONG\)/);
    expect((await source.read("kubelet/kubelet.log", 100)).toString()).toBe("journal");
  });

  it("skips a member name longer than the path bound", async () => {
    const { scratch, archive } = await area();
    const file = archive("longname.tar.gz");
    const long = `./${"d/".repeat(700)}f.txt`;
    await writeTarGz(file, [
      { name: long, content: "x" },
      { name: "./ok.txt", content: "ok" },
    ]);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["ok.txt"]);
    const [entry] = await source.skipped();
    expect(entry?.reason).toMatch(/unsafe member name/);
    expect(entry?.path.length).toBeLessThanOrEqual(200);
  });

  it("stops writing after maxMembers and records the rest as skipped", async () => {
    const { scratch, archive } = await area();
    const file = archive("members.tar.gz");
    await writeTarGz(
      file,
      Array.from({ length: 10 }, (_, i) => ({ name: `./f${i}.txt`, content: `${i}` })),
    );
    const source = await open(file, scratch, { ...DEFAULT_ARCHIVE_LIMITS, maxMembers: 4 });
    expect((await source.list()).length).toBe(4);
    const skipped = await source.skipped();
    expect(skipped.length).toBe(6);
    for (const entry of skipped) expect(entry.reason).toMatch(/more than 4 members/);
  });
});

describe("openTarballSource: damaged archives", () => {
  const truncatedMembers = (big: Buffer): TarMember[] => [
    {
      name: "./kubelet/kubelet.log",
      content: "Nov 24 10:01:02 ip-10-0-1-2 kubelet[1]: first\nNov 24 10:01:03 ip-10-0-1-2 kubelet[1]: second\n",
    },
    { name: "./system/ps.txt", content: "PID CMD\n1 systemd\n" },
    { name: "./var_log/messages", content: big },
    { name: "./zz-after.txt", content: "never reached" },
  ];

  it("keeps members that came out whole from a truncated gzip and reports the damage", async () => {
    const { root, scratch, archive } = await area();
    const big = pseudoRandomBytes(2 * 1024 * 1024, 11);
    const whole = await tarGzBytes(truncatedMembers(big));
    const file = archive("truncated.tar.gz");
    await writeFile(file, whole.subarray(0, Math.floor(whole.length * 0.5)));
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["kubelet/kubelet.log", "system/ps.txt"]);
    expect((await source.read("kubelet/kubelet.log", 1024)).toString()).toContain("second");
    const problems = await source.problems();
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(/truncated\.tar\.gz is damaged after 3 members: gzip stream is truncated/);
    // The member cut mid-way is recorded, not listed, not readable, and not left on disk.
    expect(await source.skipped()).toEqual([
      { path: "var_log/messages", reason: expect.stringMatching(/^incomplete/) },
    ]);
    expect(await source.stat("var_log/messages")).toBeUndefined();
    expect(await rejection(source.read("var_log/messages", 8 << 20))).toBeInstanceOf(EvidenceError);
    const [expanded] = await readdir(scratch);
    // Only the (empty) folder of the cut member is left of it.
    expect(await listTree(join(scratch, expanded as string))).toEqual([
      "kubelet",
      "kubelet/kubelet.log",
      "system",
      "system/ps.txt",
      "var_log",
    ]);
    expect((await listTree(root)).filter((p) => !p.startsWith("a/b/scratch/fathom-bundle-"))).toEqual([
      "a",
      "a/b",
      "a/b/scratch",
      "truncated.tar.gz",
    ]);
  });

  it("does not serve a member cut mid-way when the tar inside a whole gzip stops early", async () => {
    const { scratch, archive } = await area();
    const big = pseudoRandomBytes(300_000, 5);
    const tarData = await tarBytes(truncatedMembers(big));
    const file = archive("short-tar.tar.gz");
    const cut = tarData.indexOf(big.subarray(0, 64)) + 100_000;
    await writeFile(file, gzipSync(tarData.subarray(0, cut)));
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["kubelet/kubelet.log", "system/ps.txt"]);
    expect(await source.stat("var_log/messages")).toBeUndefined();
    expect((await source.skipped()).map((s) => s.path)).toEqual(["var_log/messages"]);
    expect((await source.problems())[0]).toMatch(/damaged after 3 members/);
  });

  it("truncated at every tenth of its length, never crashes and never serves a partial member", async () => {
    const { scratch, archive } = await area();
    const big = pseudoRandomBytes(400_000, 3);
    const members = truncatedMembers(big);
    const whole = await tarGzBytes(members);
    const expected = new Map(members.map((m) => [m.name.slice(2), Buffer.from(m.content ?? "")]));
    for (let tenth = 1; tenth < 10; tenth += 1) {
      const file = archive(`cut-${tenth}.tar.gz`);
      await writeFile(file, whole.subarray(0, Math.floor((whole.length * tenth) / 10)));
      let source: EvidenceSource;
      try {
        source = await open(file, scratch);
      } catch (error) {
        // Cut before the first member finished its header: refused as a whole, clearly.
        expect(error).toBeInstanceOf(EvidenceError);
        expect((error as Error).message).toContain(file);
        continue;
      }
      expect((await source.problems()).length).toBe(1);
      for (const entry of await source.list()) {
        expect((await source.read(entry.path, 1 << 20)).equals(expected.get(entry.path) as Buffer)).toBe(true);
      }
    }
  });

  it("cut at any byte, never crashes, never hangs, and serves only whole members", async () => {
    const { scratch, archive } = await area();
    const members = Array.from({ length: 6 }, (_, i) => ({
      name: `./d${i}/f${i}.bin`,
      content: pseudoRandomBytes(1500 + i * 301, i + 1),
    }));
    const whole = await tarGzBytes(members);
    const cuts = new Set<number>();
    for (let cut = 1; cut < 400; cut += 13) cuts.add(cut); // inside the first member, before its folder exists
    for (let cut = 400; cut < whole.length; cut += 263) cuts.add(cut);
    let opened = 0;
    for (const cut of cuts) {
      const file = archive(`cut-at-${cut}.tar.gz`);
      await writeFile(file, whole.subarray(0, cut));
      let source: EvidenceSource;
      try {
        source = await openTarballSource(file, undefined, scratch);
      } catch (error) {
        expect(error).toBeInstanceOf(EvidenceError);
        continue;
      }
      opened += 1;
      expect((await source.problems()).length, `cut at ${cut}`).toBe(1);
      for (const entry of await source.list()) {
        const index = Number(entry.path.split("/")[0]?.slice(1));
        expect(
          (await source.read(entry.path, 1 << 20)).equals(members[index]?.content as Buffer),
          `${entry.path} cut at ${cut}`,
        ).toBe(true);
      }
      await source.close();
    }
    expect(opened).toBeGreaterThan(40);
    expect(await readdir(scratch)).toEqual([]);
  });

  it("refuses data that is not gzip at all with an EvidenceError naming the file, leaving no temp folder", async () => {
    const { scratch, archive } = await area();
    const file = archive("eks_i-0abc_not-gzip.tar.gz");
    await writeFile(file, "this is a plain text file, not an archive\n".repeat(50));
    const refused = await rejection(openTarballSource(file, undefined, scratch));
    expect(refused).toBeInstanceOf(EvidenceError);
    expect(refused.message).toContain(file);
    expect(refused.message).toMatch(/not a readable bundle archive: gzip data is corrupt/);
    expect(await readdir(scratch)).toEqual([]);
  });

  it("refuses an uncompressed tar, random bytes, a gzip that holds no tar, and an empty file", async () => {
    const { scratch, archive } = await area();
    const cases: Array<[string, Buffer]> = [
      ["plain.tar.gz", await tarBytes([{ name: "./a.txt", content: "a" }])],
      ["random.tar.gz", pseudoRandomBytes(64 * 1024, 99)],
      ["text-in-gzip.tar.gz", gzipSync(Buffer.from("not a tar header\n".repeat(100)))],
      ["zero-bytes.tar.gz", Buffer.alloc(0)],
    ];
    for (const [name, data] of cases) {
      const file = archive(name);
      await writeFile(file, data);
      const refused = await rejection(openTarballSource(file, undefined, scratch));
      expect(refused, name).toBeInstanceOf(EvidenceError);
      expect(refused.message, name).toContain(name);
    }
    expect(await readdir(scratch)).toEqual([]);
  });

  it("reports corrupt bytes in the middle of the gzip stream as a problem, keeping the members before it", async () => {
    const { scratch, archive } = await area();
    // Compressible text: flipped bytes break the deflate stream itself (random data would sit in
    // stored blocks, where only the CRC at the very end notices).
    const text = Buffer.from(
      Array.from(
        { length: 40_000 },
        (_, i) => `Nov 24 10:${String(i % 60).padStart(2, "0")}:00 ip-10-0-1-2 kernel: event ${i * 7919}\n`,
      ).join(""),
    );
    const whole = Buffer.from(await tarGzBytes(truncatedMembers(text)));
    for (let i = Math.floor(whole.length * 0.6); i < Math.floor(whole.length * 0.6) + 4096; i += 1)
      whole[i] = 0xff - (whole[i] as number);
    const file = archive("corrupt.tar.gz");
    await writeFile(file, whole);
    const source = await open(file, scratch);
    expect(await paths(source)).toEqual(["kubelet/kubelet.log", "system/ps.txt"]);
    expect((await source.problems())[0]).toMatch(/corrupt\.tar\.gz is damaged after 3 members/);
    expect(await source.stat("var_log/messages")).toBeUndefined();
  });

  it("refuses a missing archive and a folder passed as an archive", async () => {
    const { root, scratch } = await area();
    const missing = await rejection(openTarballSource(join(root, "absent.tar.gz"), undefined, scratch));
    expect(missing).toBeInstanceOf(EvidenceError);
    expect(missing.message).toContain("absent.tar.gz");
    const folder = await rejection(openTarballSource(root, undefined, scratch));
    expect(folder).toBeInstanceOf(EvidenceError);
    expect(await readdir(scratch)).toEqual([]);
  });
});

describe("openTarballSource: decompression bombs", () => {
  const bombLimits: ArchiveLimits = {
    maxTotalBytes: 1024 ** 4,
    maxRatio: 100,
    ratioGraceBytes: 1024 * 1024,
    maxMembers: 1000,
  };

  it("refuses a 50 MB member of zeros against a 100:1 ratio, saying bomb, and removes its temp folder", async () => {
    const { root, scratch, archive } = await area();
    const file = archive("bomb.tar.gz");
    await writeTarGz(
      file,
      [
        { name: "./system/ps.txt", content: "PID\n" },
        { name: "./var_log/messages", zeros: 50 * 1024 * 1024 },
      ],
      9,
    );
    const refused = await rejection(openTarballSource(file, bombLimits, scratch));
    expect(refused).toBeInstanceOf(EvidenceError);
    expect(refused.message).toMatch(/bomb/);
    expect(refused.message).toContain("bomb.tar.gz");
    expect(refused.message).toMatch(/more than 100:1/);
    expect(await readdir(scratch)).toEqual([]);
    expect(await listTree(root)).toEqual(["a", "a/b", "a/b/scratch", "bomb.tar.gz"]);
  });

  it("refuses an archive that expands beyond the total bound, even at a modest ratio", async () => {
    const { scratch, archive } = await area();
    const file = archive("too-big.tar.gz");
    await writeTarGz(
      file,
      [
        { name: "./a.bin", content: pseudoRandomBytes(600_000, 1) },
        { name: "./b.bin", content: pseudoRandomBytes(600_000, 2) },
      ],
      1,
    );
    const refused = await rejection(
      openTarballSource(file, { ...DEFAULT_ARCHIVE_LIMITS, maxTotalBytes: 1_000_000 }, scratch),
    );
    expect(refused).toBeInstanceOf(EvidenceError);
    expect(refused.message).toMatch(/expands beyond 1000000 bytes \(decompression bomb\?\)/);
    expect(await readdir(scratch)).toEqual([]);
  });

  it("accepts highly compressible content below the ratio grace", async () => {
    const { scratch, archive } = await area();
    const file = archive("grace.tar.gz");
    await writeTarGz(file, [{ name: "./var_log/messages", zeros: 512 * 1024 }]);
    const source = await open(file, scratch, bombLimits);
    expect(await source.stat("var_log/messages")).toEqual({ path: "var_log/messages", size: 512 * 1024 });
  });

  it("removes the temp folder of a bomb even when the archive file is then deleted", async () => {
    const { scratch, archive } = await area();
    const file = archive("bomb2.tar.gz");
    await writeTarGz(file, [{ name: "./zeros", zeros: 20 * 1024 * 1024 }], 9);
    await expect(openTarballSource(file, bombLimits, scratch)).rejects.toThrow(/bomb/);
    await rm(file);
    expect(await readdir(scratch)).toEqual([]);
  });
});

describe("openTarballSource: sizes on disk", () => {
  it("writes the expanded copy under the scratch root only", async () => {
    const { scratch, archive } = await area();
    const file = archive("size.tar.gz");
    await writeTarGz(file, [{ name: "./system/ps.txt", content: "PID\n" }]);
    const source = await open(file, scratch);
    expect((await readdir(scratch)).length).toBe(1);
    await truncate(file, 0);
    expect((await source.read("system/ps.txt", 100)).toString()).toBe("PID\n");
  });
});
