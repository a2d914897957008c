/** The evidence exists but cannot be used: a corrupt archive, an unreadable file, a path that escapes. */
export class EvidenceError extends Error {
  readonly source: string;
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EvidenceError";
    this.source = source;
  }
}

/** Input that can never name a bundle member (absolute, traversal, NUL): refused before any I/O. */
export class UnsafePathError extends EvidenceError {
  constructor(path: string, why: string) {
    super(path, `refused bundle path ${JSON.stringify(path.slice(0, 200))}: ${why}`);
    this.name = "UnsafePathError";
  }
}
