import { createWriteStream } from "node:fs";
import { lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gzipSync } from "node:zlib";
import tar, { type Header, type Pack } from "tar-stream";

/** One member of a test archive. `zeros` streams that many zero bytes without holding them. */
export interface TarMember {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device" | "fifo";
  content?: string | Buffer;
  zeros?: number;
  linkname?: string;
}

/** Temp folders made by a test file; `cleanup()` in afterEach removes them all. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = "fathom-evidence-test-"): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

function zeroStream(total: number): Readable {
  const block = Buffer.alloc(1 << 20);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

/** Packs members into a tar stream (uncompressed). */
function packMembers(members: TarMember[]): Pack {
  const pack = tar.pack();
  const add = async () => {
    for (const member of members) {
      const type = member.type ?? "file";
      const header: Partial<Header> & Pick<Header, "name"> = {
        name: member.name,
        type,
        mode: type === "directory" ? 0o755 : 0o644,
        mtime: new Date(Date.UTC(2026, 10, 24)),
      };
      if (member.linkname !== undefined) header.linkname = member.linkname;
      if (type !== "file") {
        await new Promise<void>((resolve, reject) =>
          pack.entry(header, (error) => (error ? reject(error) : resolve())),
        );
        continue;
      }
      if (member.zeros !== undefined) {
        header.size = member.zeros;
        const sink = pack.entry(header);
        await pipeline(zeroStream(member.zeros), sink);
        continue;
      }
      const body =
        typeof member.content === "string" ? Buffer.from(member.content) : (member.content ?? Buffer.alloc(0));
      await new Promise<void>((resolve, reject) =>
        pack.entry(header, body, (error) => (error ? reject(error) : resolve())),
      );
    }
    pack.finalize();
  };
  add().catch((error: Error) => pack.destroy(error));
  return pack;
}

/** Writes a real `.tar.gz` built from `members` to `file` (streaming: big members never sit in memory). */
export async function writeTarGz(file: string, members: TarMember[], level = 6): Promise<void> {
  await pipeline(packMembers(members), createGzip({ level }), createWriteStream(file));
}

/** The uncompressed tar bytes of small members. */
export async function tarBytes(members: TarMember[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of packMembers(members)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export async function tarGzBytes(members: TarMember[]): Promise<Buffer> {
  return gzipSync(await tarBytes(members));
}

/** Every path under `dir` (relative, `/`-separated, links not followed), sorted. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const dirent of await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${dirent.name}` : dirent.name;
      out.push(path);
      if (dirent.isDirectory()) await walk(path);
    }
  };
  await walk("");
  return out.sort();
}

export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A seeded PRNG in [0, 1). */
export function seededRandom(seed = 42): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Collects all chunks of a member into one buffer. */
export async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
