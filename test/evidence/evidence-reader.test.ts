import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDirectorySource } from "../../src/evidence/directory-source.ts";
import { createNodeEvidence } from "../../src/evidence/node-evidence.ts";
import { EvidenceReader } from "../../src/toolkit/evidence-reader.ts";
import { pseudoRandomBytes, TempDirs } from "./helpers.ts";

const temps = new TempDirs();
afterEach(() => temps.cleanup());

async function reader(files: Record<string, string | Buffer>): Promise<{ read: EvidenceReader; root: string }> {
  const root = await temps.make();
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, ...path.split("/"));
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, content);
  }
  return { read: new EvidenceReader(await createNodeEvidence(await openDirectorySource(root))), root };
}

describe("EvidenceReader status", () => {
  it("is no_data when the source is missing", async () => {
    const { read } = await reader({ "system/ps.txt": "PID\n" });
    expect(await read.json("ipamdEnis")).toEqual({ state: "missing" });
    expect(await read.text("kubeletConfig")).toEqual({ state: "missing" });
    expect(await read.scan("kubeletJournal", () => undefined)).toEqual({ state: "missing", paths: [] });
    expect(read.status()).toBe("no_data");
    expect(read.gaps).toEqual([]);
  });

  it("is error with a gap naming the file when a JSON source is present but empty", async () => {
    const { read } = await reader({ "ipamd/enis.json": "" });
    expect(await read.json("ipamdEnis")).toEqual({ state: "error", path: "ipamd/enis.json", reason: "file is empty" });
    expect(read.status()).toBe("error");
    expect(read.gaps).toEqual([{ source: "ipamd/enis.json", reason: "file is empty" }]);
  });

  it("is error with a gap naming the file for whitespace-only, invalid and binary JSON", async () => {
    for (const content of [" \n\t\n", '{"TotalIPs": 3,', pseudoRandomBytes(4096, 12)]) {
      const { read } = await reader({ "ipamd/enis.json": content });
      const result = await read.json("ipamdEnis");
      expect(result.state).toBe("error");
      expect(read.status()).toBe("error");
      expect(read.gaps).toHaveLength(1);
      expect(read.gaps[0]?.source).toBe("ipamd/enis.json");
    }
  });

  it("is ok when JSON parses, and a later gap on another file does not hide it", async () => {
    const { read } = await reader({
      "ipamd/enis.json": '{"TotalIPs": 3, "AssignedIPs": 1, "ENIs": {}}',
      "ipamd/ipam.json": "",
    });
    const enis = await read.json("ipamdEnis");
    expect(enis).toEqual({ state: "ok", path: "ipamd/enis.json", value: { TotalIPs: 3, AssignedIPs: 1, ENIs: {} } });
    expect(read.status()).toBe("ok");
    expect((await read.json("ipamdCheckpoint")).state).toBe("error");
    expect(read.status()).toBe("ok");
    expect(read.gaps).toEqual([{ source: "ipamd/ipam.json", reason: "file is empty" }]);
  });

  it("is error, not a crash, when a file is too big to read whole, naming it", async () => {
    const { read } = await reader({ "kubelet/config.json": "x".repeat(2048) });
    const result = await read.text("kubeletConfig", 1024);
    expect(result).toMatchObject({ state: "error", path: "kubelet/config.json" });
    expect(read.gaps[0]?.source).toBe("kubelet/config.json");
    expect(read.status()).toBe("error");
  });

  it("scans an empty log as read (ok), counting nothing", async () => {
    const { read } = await reader({ "kubelet/kubelet.log": "" });
    let lines = 0;
    expect(await read.scan("kubeletJournal", () => void (lines += 1))).toEqual({
      state: "ok",
      paths: ["kubelet/kubelet.log"],
    });
    expect(lines).toBe(0);
    expect(read.status()).toBe("ok");
    expect(read.linesScanned).toBe(0);
  });

  it("scans binary garbage without throwing and counts bytes and lines", async () => {
    const garbage = pseudoRandomBytes(1_500_000, 31);
    const { read } = await reader({ "var_log/messages": garbage });
    expect((await read.scan("messages", (line) => void line.text())).state).toBe("ok");
    expect(read.bytesRead).toBe(garbage.length);
    expect(read.linesScanned).toBeGreaterThan(0);
    expect(await read.scanMatchingAt("var_log/messages", /\xff/g, (line) => void line.text())).toBe(true);
    expect(read.status()).toBe("ok");
  });

  it("does not read through a symlinked source: it is missing, not a leak", async () => {
    const outside = await temps.make();
    await writeFile(join(outside, "enis.json"), '{"secret": true}');
    const { read, root } = await reader({ "system/ps.txt": "PID\n" });
    await mkdir(join(root, "ipamd"));
    await symlink(join(outside, "enis.json"), join(root, "ipamd", "enis.json"));
    const fresh = new EvidenceReader(await createNodeEvidence(await openDirectorySource(root)));
    expect(await fresh.json("ipamdEnis")).toEqual({ state: "missing" });
    expect(fresh.status()).toBe("no_data");
    expect(read.status()).toBe("no_data");
  });

  it("records a gap naming the path when a hostile path is asked for directly", async () => {
    const { read } = await reader({ "system/ps.txt": "PID\n" });
    const result = await read.textAt("../../etc/passwd");
    expect(result.state).toBe("error");
    expect(read.gaps[0]?.source).toBe("../../etc/passwd");
    expect(read.gaps[0]?.reason).toMatch(/traversal/);
    expect(await read.scanAt("/etc/passwd", () => undefined)).toBe(false);
    expect(read.status()).toBe("error");
  });
});
