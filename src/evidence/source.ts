/** One file in a bundle, by its normalized bundle-relative path. */
export interface ArtifactEntry {
  path: string;
  size: number;
}

/** A member that exists but was not made readable (a link, a device, a member cut off by corruption). */
export interface SkippedEntry {
  path: string;
  reason: string;
}

/**
 * Node evidence, whatever holds it: a bundle directory, a `.tar.gz`, or memory.
 * Paths are bundle-relative (`kubelet/kubelet.log`); every implementation refuses unsafe names.
 */
export interface EvidenceSource {
  /** What a person would call this source in a message (the path they gave). */
  readonly label: string;
  /** Archive name or folder name, for the collection time it may carry. */
  readonly name: string;
  list(): Promise<ArtifactEntry[]>;
  /** Members present but not readable, with why. */
  skipped(): Promise<SkippedEntry[]>;
  /** Problems with the container itself (a truncated gzip), not with one member. */
  problems(): Promise<string[]>;
  stat(path: string): Promise<ArtifactEntry | undefined>;
  /** Whole member, refusing more than `maxBytes` (throws EvidenceError). */
  read(path: string, maxBytes: number): Promise<Buffer>;
  /** Raw chunks of a member, in order. */
  chunks(path: string, signal?: AbortSignal): AsyncIterable<Buffer>;
  /** Reads at most `maxBytes` from the end of a member. */
  tail(path: string, maxBytes: number): Promise<Buffer>;
  close(): Promise<void>;
}
