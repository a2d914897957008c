import { createReadStream } from "node:fs";
import { lstat, open, readdir, realpath } from "node:fs/promises";
import { basename, join, sep } from "node:path";
import { EvidenceError } from "./errors.ts";
import { normalizeMemberPath } from "./safe-path.ts";
import type { ArtifactEntry, EvidenceSource, SkippedEntry } from "./source.ts";

const CHUNK_BYTES = 1 << 20;
const MAX_ENTRIES = 200_000;

interface Listing {
  files: Map<string, ArtifactEntry>;
  skipped: SkippedEntry[];
}

/**
 * A bundle root on disk. Symlinks are never followed (a bundle that links to /etc must not read /etc),
 * and every lookup is checked against a listing taken once.
 */
export async function openDirectorySource(
  root: string,
  label = root,
  extra?: { problems?: string[]; skipped?: SkippedEntry[]; name?: string; onClose?: () => Promise<void> },
): Promise<EvidenceSource> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    const info = await lstat(realRoot);
    if (!info.isDirectory()) throw new Error("not a directory");
  } catch (error) {
    throw new EvidenceError(label, `cannot open bundle directory ${label}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let listing: Promise<Listing> | undefined;
  const getListing = () => (listing ??= walk(realRoot));

  async function entry(path: string): Promise<ArtifactEntry | undefined> {
    return (await getListing()).files.get(normalizeMemberPath(path));
  }

  async function requireEntry(path: string): Promise<{ entry: ArtifactEntry; file: string }> {
    const found = await entry(path);
    if (!found) throw new EvidenceError(path, `${path} is not in the bundle`);
    return { entry: found, file: join(realRoot, ...found.path.split("/")) };
  }

  return {
    label,
    name: extra?.name ?? basename(root),
    async list() {
      return [...(await getListing()).files.values()];
    },
    async skipped() {
      return [...(extra?.skipped ?? []), ...(await getListing()).skipped];
    },
    async problems() {
      return extra?.problems ?? [];
    },
    stat: entry,
    async read(path, maxBytes) {
      const { entry: found, file } = await requireEntry(path);
      if (found.size > maxBytes)
        throw new EvidenceError(
          found.path,
          `${found.path} is ${found.size} bytes, more than the ${maxBytes} this reader accepts`,
        );
      return readRange(file, found.path, 0, found.size);
    },
    async tail(path, maxBytes) {
      const { entry: found, file } = await requireEntry(path);
      const start = Math.max(0, found.size - maxBytes);
      return readRange(file, found.path, start, found.size - start);
    },
    async *chunks(path, signal) {
      const { entry: found, file } = await requireEntry(path);
      const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES, signal });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        if ((error as Error).name === "AbortError") throw error;
        throw new EvidenceError(found.path, `cannot read ${found.path}: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      await extra?.onClose?.();
    },
  };
}

async function readRange(file: string, member: string, start: number, length: number): Promise<Buffer> {
  try {
    const handle = await open(file, "r");
    try {
      const buffer = Buffer.allocUnsafe(length);
      let offset = 0;
      while (offset < length) {
        const { bytesRead } = await handle.read(buffer, offset, length - offset, start + offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return buffer.subarray(0, offset);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new EvidenceError(member, `cannot read ${member}: ${(error as Error).message}`, { cause: error });
  }
}

async function walk(root: string): Promise<Listing> {
  const files = new Map<string, ArtifactEntry>();
  const skipped: SkippedEntry[] = [];
  const pending: string[] = [""];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    let names: import("node:fs").Dirent[];
    try {
      names = await readdir(rel === "" ? root : join(root, rel), { withFileTypes: true });
    } catch (error) {
      skipped.push({ path: rel || ".", reason: `cannot list: ${(error as Error).message}` });
      continue;
    }
    for (const dirent of names) {
      const member = rel === "" ? dirent.name : `${rel}/${dirent.name}`;
      if (dirent.name.includes(sep) || dirent.name.includes("\\")) continue;
      if (dirent.isSymbolicLink()) {
        skipped.push({ path: member, reason: "symbolic link (not followed)" });
      } else if (dirent.isDirectory()) {
        pending.push(member);
      } else if (dirent.isFile()) {
        if (files.size >= MAX_ENTRIES) {
          skipped.push({ path: member, reason: `more than ${MAX_ENTRIES} files in the bundle` });
          continue;
        }
        const info = await lstat(join(root, member)).catch(() => undefined);
        if (info) files.set(member, { path: member, size: info.size });
      } else {
        skipped.push({ path: member, reason: "not a regular file" });
      }
    }
  }
  return { files, skipped };
}
