import { stat } from "node:fs/promises";
import { openDirectorySource } from "./directory-source.ts";
import { EvidenceError } from "./errors.ts";
import type { EvidenceSource } from "./source.ts";
import { openTarballSource, type ArchiveLimits } from "./tarball-source.ts";

/** Opens `--bundle`: a bundle root folder or a `.tar.gz`/`.tgz` archive. */
export async function openBundle(
  path: string,
  options: { limits?: ArchiveLimits; scratchRoot?: string } = {},
): Promise<EvidenceSource> {
  const info = await stat(path).catch((error: Error) => {
    throw new EvidenceError(path, `bundle ${path} does not exist or cannot be read: ${error.message}`, {
      cause: error,
    });
  });
  if (info.isDirectory()) return openDirectorySource(path);
  if (info.isFile()) return openTarballSource(path, options.limits, options.scratchRoot);
  throw new EvidenceError(path, `bundle ${path} is neither a folder nor an archive`);
}
