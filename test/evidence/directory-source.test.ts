import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { openDirectorySource } from "../../src/evidence/directory-source.ts";
import { EvidenceError, UnsafePathError } from "../../src/evidence/errors.ts";
import { TOP_LEVEL_FOLDERS } from "../../src/evidence/layout.ts";
import { scanLines, scanMatchingLines } from "../../src/evidence/lines.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { collect, pseudoRandomBytes, TempDirs } from "./helpers.ts";

const temps = new TempDirs();
afterEach(() => temps.cleanup());

async function put(root: string, path: string, content: string | Buffer): Promise<void> {
  const file = join(root, ...path.split("/"));
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, content);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("openDirectorySource", () => {
  it("does not follow a symlink inside the bundle that points outside it", async () => {
    const area = await temps.make();
    const bundle = join(area, "bundle");
    const outside = join(area, "outside");
    await put(outside, "secret.txt", "top secret\n");
    await put(bundle, "system/ps.txt", "PID\n");
    await mkdir(join(bundle, "kubelet"), { recursive: true });
    await symlink(join(outside, "secret.txt"), join(bundle, "kubelet", "kubelet.log"));
    await symlink("/etc/passwd", join(bundle, "system", "passwd"));
    await symlink(outside, join(bundle, "networking"));
    await symlink("../system/ps.txt", join(bundle, "kubelet", "inside-link.txt"));
    const source = await openDirectorySource(bundle);
    expect((await source.list()).map((e) => e.path).sort()).toEqual(["system/ps.txt"]);
    const skipped = new Map((await source.skipped()).map((s) => [s.path, s.reason]));
    for (const path of ["kubelet/kubelet.log", "system/passwd", "networking", "kubelet/inside-link.txt"]) {
      expect(skipped.get(path), path).toBe("symbolic link (not followed)");
      expect(await source.stat(path)).toBeUndefined();
      const refused = await rejection(source.read(path, 1 << 20));
      expect(refused).toBeInstanceOf(EvidenceError);
      expect(refused.message).not.toContain("top secret");
    }
    expect(await rejection(source.read("networking/secret.txt", 1 << 20))).toBeInstanceOf(EvidenceError);
    expect(await rejection(source.tail("networking/secret.txt", 100))).toBeInstanceOf(EvidenceError);
    expect(await rejection(collect(source.chunks("kubelet/kubelet.log")))).toBeInstanceOf(EvidenceError);
    expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe("top secret\n");
  });

  it("refuses hostile lookups before touching the disk", async () => {
    const area = await temps.make();
    const bundle = join(area, "bundle");
    await put(area, "outside.txt", "outside\n");
    await put(bundle, "system/ps.txt", "PID\n");
    const source = await openDirectorySource(bundle);
    for (const name of [
      "../outside.txt",
      "./../outside.txt",
      "system/../../outside.txt",
      "/etc/passwd",
      "system\\ps.txt",
      "C:/x",
      "a\0b",
      "",
      "./",
    ]) {
      const refused = await rejection(source.read(name, 1 << 20));
      expect(refused, JSON.stringify(name)).toBeInstanceOf(UnsafePathError);
      expect(await rejection(source.stat(name))).toBeInstanceOf(UnsafePathError);
    }
    expect((await source.read("./system/ps.txt", 100)).toString()).toBe("PID\n");
  });

  it("serves empty files, and a bundle with half the top-level folders missing", async () => {
    const bundle = await temps.make();
    const half = TOP_LEVEL_FOLDERS.slice(0, Math.ceil(TOP_LEVEL_FOLDERS.length / 2));
    for (const folder of half) await mkdir(join(bundle, folder));
    await put(bundle, "ipamd/enis.json", "");
    await put(bundle, "kernel/dmesg.current", "");
    const source = await openDirectorySource(bundle);
    expect((await source.list()).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: "ipamd/enis.json", size: 0 },
      { path: "kernel/dmesg.current", size: 0 },
    ]);
    expect((await source.read("ipamd/enis.json", 0)).length).toBe(0);
    expect((await source.tail("ipamd/enis.json", 100)).length).toBe(0);
    expect(await collect(source.chunks("kernel/dmesg.current"))).toEqual(Buffer.alloc(0));
    expect(await scanLines(source, "kernel/dmesg.current", () => undefined)).toEqual({ bytesRead: 0, linesScanned: 0 });
    expect(await scanMatchingLines(source, "kernel/dmesg.current", /x/g, () => undefined)).toEqual({
      bytesRead: 0,
      linesScanned: 0,
    });
    expect(await source.stat("kubelet/kubelet.log")).toBeUndefined();
    expect(await source.problems()).toEqual([]);
  });

  it("scans binary garbage with NULs without throwing", async () => {
    const bundle = await temps.make();
    const garbage = pseudoRandomBytes(1024 * 1024 + 17, 1234);
    for (let i = 0; i < garbage.length; i += 97) garbage[i] = 0;
    await put(bundle, "var_log/messages", garbage);
    const source = await openDirectorySource(bundle);
    let newlines = 0;
    for (const byte of garbage) if (byte === 10) newlines += 1;
    const expectedLines = newlines + (garbage[garbage.length - 1] === 10 ? 0 : 1);
    let texts = 0;
    const stats = await scanLines(source, "var_log/messages", (line) => {
      texts += line.text().length > -1 ? 1 : 0;
    });
    expect(stats).toEqual({ bytesRead: garbage.length, linesScanned: expectedLines });
    expect(texts).toBe(expectedLines);
    let matched = 0;
    const matching = await scanMatchingLines(source, "var_log/messages", /\xfe|\xff/g, (line) => {
      matched += line.text().length >= 0 ? 1 : 0;
    });
    expect(matching).toEqual({ bytesRead: garbage.length, linesScanned: expectedLines });
    expect(matched).toBeGreaterThan(0);
  });

  it("refuses a root that is missing or is a file, naming it", async () => {
    const area = await temps.make();
    await put(area, "file.txt", "x");
    for (const root of [join(area, "missing"), join(area, "file.txt")]) {
      const refused = await rejection(openDirectorySource(root));
      expect(refused).toBeInstanceOf(EvidenceError);
      expect(refused.message).toContain(root);
    }
  });

  it("accepts a root given through a symlink (the user chose it)", async () => {
    const area = await temps.make();
    await put(area, "real/system/ps.txt", "PID\n");
    await symlink(join(area, "real"), join(area, "link"));
    const source = await openDirectorySource(join(area, "link"));
    expect(source.name).toBe("link");
    expect((await source.read("system/ps.txt", 100)).toString()).toBe("PID\n");
  });

  it("lists once: a file added after the listing is not served", async () => {
    const bundle = await temps.make();
    await put(bundle, "system/ps.txt", "PID\n");
    const source = await openDirectorySource(bundle);
    expect((await source.list()).length).toBe(1);
    await put(bundle, "system/late.txt", "late\n");
    expect(await source.stat("system/late.txt")).toBeUndefined();
    expect(await rejection(source.read("system/late.txt", 100))).toBeInstanceOf(EvidenceError);
  });

  it("reads ranges exactly: read bound, tail, chunks", async () => {
    const bundle = await temps.make();
    const data = pseudoRandomBytes(2.5 * 1024 * 1024, 77);
    await put(bundle, "var_log/messages", data);
    const source = await openDirectorySource(bundle);
    expect((await source.read("var_log/messages", data.length)).equals(data)).toBe(true);
    const refused = await rejection(source.read("var_log/messages", data.length - 1));
    expect(refused).toBeInstanceOf(EvidenceError);
    expect(refused.message).toMatch(/more than the/);
    expect((await source.tail("var_log/messages", 12345)).equals(data.subarray(data.length - 12345))).toBe(true);
    expect((await source.tail("var_log/messages", data.length * 2)).equals(data)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const chunk of source.chunks("var_log/messages")) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it("stops a scan when its signal aborts, with an AbortError", async () => {
    const bundle = await temps.make();
    await put(bundle, "var_log/messages", "line\n".repeat(1_000_000));
    const source: EvidenceSource = await openDirectorySource(bundle);
    const controller = new AbortController();
    let seen = 0;
    const refused = await rejection(
      scanLines(
        source,
        "var_log/messages",
        () => {
          seen += 1;
          if (seen === 10) controller.abort();
        },
        controller.signal,
      ),
    );
    expect(refused.name).toBe("AbortError");
    expect(seen).toBeLessThan(1_000_000);
  });
});

describe("createMemorySource", () => {
  it("refuses unsafe names at construction and at lookup", () => {
    expect(() => createMemorySource({ "../x": "x" })).toThrow(UnsafePathError);
    expect(() => createMemorySource({ "/etc/passwd": "x" })).toThrow(UnsafePathError);
    const source = createMemorySource({ "./kubelet/kubelet.log": "a\n" });
    return expect(source.read("../kubelet/kubelet.log", 10)).rejects.toBeInstanceOf(UnsafePathError);
  });

  it("serves names given with and without ./ the same way", async () => {
    const source = createMemorySource({ "./kubelet/kubelet.log": "a\n", "system/ps.txt": "PID\n" });
    expect((await source.list()).map((e) => e.path).sort()).toEqual(["kubelet/kubelet.log", "system/ps.txt"]);
    expect((await source.read("kubelet/kubelet.log", 10)).toString()).toBe("a\n");
    expect((await source.read("./system/ps.txt", 10)).toString()).toBe("PID\n");
    await expect(source.read("system/ps.txt", 2)).rejects.toBeInstanceOf(EvidenceError);
  });
});
