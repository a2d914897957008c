import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { openDirectorySource } from "./directory-source.ts";
import { EvidenceError } from "./errors.ts";
import { tryNormalizeMemberPath } from "./safe-path.ts";
import type { EvidenceSource, SkippedEntry } from "./source.ts";

export interface ArchiveLimits {
  /** Most bytes all members may expand to. */
  maxTotalBytes: number;
  /** Largest expansion ratio tolerated once more than `ratioGraceBytes` came out. */
  maxRatio: number;
  ratioGraceBytes: number;
  maxMembers: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxTotalBytes: 8 * 1024 ** 3,
  maxRatio: 1000,
  ratioGraceBytes: 64 * 1024 ** 2,
  maxMembers: 200_000,
};

/**
 * Opens an eks-log-collector `.tar.gz` by expanding it ONCE into a private temporary folder, then
 * serving it as a directory. Streaming keeps memory flat whatever the archive size, and every tool of
 * an investigation reads the same expanded copy. Only regular members with safe names are written;
 * links, devices and traversal names are recorded as skipped. A corrupt or truncated archive keeps
 * the members that came out whole and reports the problem instead of failing the whole bundle.
 */
export async function openTarballSource(file: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS, scratchRoot = tmpdir()): Promise<EvidenceSource> {
  let compressedSize: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a file");
    compressedSize = Math.max(info.size, 1);
  } catch (error) {
    throw new EvidenceError(file, `cannot open bundle archive ${file}: ${(error as Error).message}`, { cause: error });
  }
  const root = await mkdtemp(join(scratchRoot, "fathom-bundle-"));
  const cleanup = () => rm(root, { recursive: true, force: true });
  const skipped: SkippedEntry[] = [];
  const problems: string[] = [];
  let written = 0;
  let members = 0;

  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    members += 1;
    const name = tryNormalizeMemberPath(header.name);
    const drain = (reason: string) => {
      if (name !== "." && header.name !== "./" && reason) skipped.push({ path: name ?? header.name.slice(0, 200), reason });
      stream.on("end", () => next());
      stream.resume();
    };
    if (members > limits.maxMembers) return drain(`more than ${limits.maxMembers} members`);
    if (header.type === "directory") return drain("");
    if (!name) return drain("unsafe member name (absolute or traversal)");
    if (header.type !== "file" && header.type !== "contiguous-file") return drain(`${header.type} member (not followed)`);
    const target = join(root, ...name.split("/"));
    mkdir(dirname(target), { recursive: true })
      .then(() =>
        pipeline(
          stream,
          async function* (source: AsyncIterable<unknown>) {
            for await (const raw of source) {
              const chunk = raw as Buffer;
              written += chunk.length;
              if (written > limits.maxTotalBytes) throw new EvidenceError(file, `archive expands beyond ${limits.maxTotalBytes} bytes (decompression bomb?)`);
              if (written > limits.ratioGraceBytes && written / compressedSize > limits.maxRatio)
                throw new EvidenceError(file, `archive expands more than ${limits.maxRatio}:1 (decompression bomb?)`);
              yield chunk;
            }
          },
          createWriteStream(target, { flags: "wx" }),
        ),
      )
      .then(
        () => next(),
        (error: Error) => {
          skipped.push({ path: name, reason: `incomplete: ${error.message}` });
          rm(target, { force: true }).finally(() => next(error));
        },
      );
  });

  try {
    await pipeline(createReadStream(file), createGunzip(), extract, new Writable({ write: (_c, _e, cb) => cb() }));
  } catch (error) {
    const message = describeArchiveError(error as Error);
    if (members === 0) {
      await cleanup();
      throw new EvidenceError(file, `${file} is not a readable bundle archive: ${message}`, { cause: error });
    }
    problems.push(`archive ${basename(file)} is damaged after ${members} members: ${message}; members that came out whole are used`);
    if (error instanceof EvidenceError && /bomb/.test(error.message)) {
      // A bomb is hostile: keep nothing of it.
      await cleanup();
      throw error;
    }
  }
  return openDirectorySource(root, file, { problems, skipped, name: basename(file), onClose: cleanup });
}

function describeArchiveError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR") return `gzip data is corrupt (${error.message})`;
  if (/unexpected end/i.test(error.message)) return "gzip stream is truncated";
  return error.message;
}
