import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
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
export async function openTarballSource(
  file: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
  scratchRoot = tmpdir(),
): Promise<EvidenceSource> {
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
  // A bomb is detected inside a member's pipeline; the outer pipeline only sees "Premature close".
  let bomb: EvidenceError | undefined;
  // The member being written, so a file cut off by a failure is removed before anything lists it.
  let inFlight: Promise<void> = Promise.resolve();

  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    // When the archive fails while this member waits (for its folder, its file), the entry stream is
    // destroyed with an error: without a listener that error would be thrown and crash the process.
    // The failure still arrives through the pipelines.
    stream.on("error", () => undefined);
    members += 1;
    const name = tryNormalizeMemberPath(header.name);
    const drain = (reason: string) => {
      if (name !== "." && header.name !== "./" && reason)
        skipped.push({ path: name ?? header.name.slice(0, 200), reason });
      stream.on("end", () => next());
      stream.resume();
    };
    if (members > limits.maxMembers) return drain(`more than ${limits.maxMembers} members`);
    if (header.type === "directory") return drain("");
    if (!name) return drain("unsafe member name (absolute or traversal)");
    if (header.type !== "file" && header.type !== "contiguous-file")
      return drain(`${header.type} member (not followed)`);
    const target = join(root, ...name.split("/"));
    inFlight = mkdir(dirname(target), { recursive: true })
      .then(() => open(target, "wx"))
      .then(
        (handle) =>
          pipeline(
            stream,
            async function* (source: AsyncIterable<unknown>) {
              for await (const raw of source) {
                const chunk = raw as Buffer;
                written += chunk.length;
                if (written > limits.maxTotalBytes)
                  throw (bomb = new EvidenceError(
                    file,
                    `archive ${basename(file)} expands beyond ${limits.maxTotalBytes} bytes (decompression bomb?)`,
                  ));
                if (written > limits.ratioGraceBytes && written / compressedSize > limits.maxRatio)
                  throw (bomb = new EvidenceError(
                    file,
                    `archive ${basename(file)} expands more than ${limits.maxRatio}:1 (decompression bomb?)`,
                  ));
                yield chunk;
              }
            },
            handle.createWriteStream(),
          ).then(
            () => next(),
            async (error: Error) => {
              skipped.push({ path: name, reason: `incomplete: ${error.message}` });
              await rm(target, { force: true }).catch(() => undefined);
              next(error);
            },
          ),
        // The member cannot be created (a duplicate name, a file where a folder must go, a name too
        // long for the filesystem): skip it and go on, as for any other unusable member.
        (error: NodeJS.ErrnoException) => drain(`cannot be extracted (${error.code ?? error.message})`),
      );
  });

  let failure: unknown;
  try {
    // extract is the last stage: a stage after it would make pipeline consume its entry iterator.
    await pipeline(createReadStream(file), createGunzip(), extract);
  } catch (error) {
    failure = error;
  }
  await inFlight;
  if (bomb) {
    // A bomb is hostile: keep nothing of it.
    await cleanup();
    throw bomb;
  }
  if (failure !== undefined) {
    const message = describeArchiveError(failure as Error);
    if (members === 0) {
      await cleanup();
      throw new EvidenceError(file, `${file} is not a readable bundle archive: ${message}`, { cause: failure });
    }
    problems.push(
      `archive ${basename(file)} is damaged after ${members} members: ${message}; members that came out whole are used`,
    );
  }
  return openDirectorySource(root, file, { problems, skipped, name: basename(file), onClose: cleanup });
}

function describeArchiveError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  // zlib reports a cut-off stream as Z_BUF_ERROR "unexpected end of file": name it before "corrupt".
  if (code === "Z_BUF_ERROR" && /unexpected end/i.test(error.message)) return "gzip stream is truncated";
  if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR") return `gzip data is corrupt (${error.message})`;
  return error.message;
}
