import type { Gap } from "../domain/tool-report.ts";
import { EvidenceError } from "../evidence/errors.ts";
import type { ArtifactName } from "../evidence/layout.ts";
import { scanLines, scanMatchingLines, type LineCursor } from "../evidence/lines.ts";
import type { MultiLiteral } from "../evidence/multi-literal.ts";
import type { NodeEvidence } from "../evidence/node-evidence.ts";
import type { ArtifactEntry, SkippedEntry } from "../evidence/source.ts";

/** Files read whole are capped: configuration and state files are small; logs are scanned. */
export const MAX_WHOLE_FILE_BYTES = 32 * 1024 * 1024;

export type ReadResult =
  { state: "missing" } | { state: "error"; path: string; reason: string } | { state: "ok"; path: string; text: string };

/**
 * A tool call's window onto one node's evidence. It records what was read, what was missing and
 * what was unreadable, so the runner can say `ok`, `no_data` or `error` without each tool deciding.
 */
export class EvidenceReader {
  readonly gaps: Gap[] = [];
  bytesRead = 0;
  linesScanned = 0;
  /** Per file: read fine, or present but unusable. A later gap overrides an earlier read. */
  readonly states = new Map<string, "ok" | "error">();
  private readonly evidence: NodeEvidence;
  private readonly signal: AbortSignal | undefined;

  constructor(evidence: NodeEvidence, signal?: AbortSignal) {
    this.evidence = evidence;
    this.signal = signal;
  }

  /**
   * The bundle's own listing: its files, members it refused, and container problems (a damaged
   * archive). Reading it counts as reading the bundle.
   */
  async listing(): Promise<{ name: string; files: ArtifactEntry[]; skipped: SkippedEntry[]; problems: string[] }> {
    const source = this.evidence.source;
    const [files, skipped, problems] = await Promise.all([source.list(), source.skipped(), source.problems()]);
    if (files.length > 0) this.states.set("(bundle listing)", "ok");
    return { name: source.name, files, skipped, problems };
  }

  /** Present paths of an artifact. */
  paths(name: ArtifactName): Promise<string[]> {
    return this.evidence.resolve(name);
  }

  async size(path: string): Promise<number | undefined> {
    return (await this.evidence.source.stat(path))?.size;
  }

  /** The first present file of an artifact, whole, as UTF-8 text. */
  async text(name: ArtifactName, maxBytes = MAX_WHOLE_FILE_BYTES): Promise<ReadResult> {
    const [path] = await this.paths(name);
    if (!path) return { state: "missing" };
    return this.textAt(path, maxBytes);
  }

  async textAt(path: string, maxBytes = MAX_WHOLE_FILE_BYTES): Promise<ReadResult> {
    try {
      const data = await this.evidence.source.read(path, maxBytes);
      this.bytesRead += data.length;
      if (!this.states.has(path)) this.states.set(path, "ok");
      return { state: "ok", path, text: data.toString("utf8") };
    } catch (error) {
      return this.fail(path, error);
    }
  }

  /** Parses a JSON artifact; empty or invalid JSON is an `error` with a gap naming the file. */
  async json(
    name: ArtifactName,
  ): Promise<
    | { state: "missing" }
    | { state: "error"; path: string; reason: string }
    | { state: "ok"; path: string; value: unknown }
  > {
    const read = await this.text(name);
    if (read.state !== "ok") return read;
    if (read.text.trim() === "") return this.gap(read.path, "file is empty");
    try {
      return { state: "ok", path: read.path, value: JSON.parse(read.text) };
    } catch (error) {
      return this.gap(read.path, `invalid JSON: ${(error as Error).message.slice(0, 120)}`);
    }
  }

  /** Streams every line of every present file of an artifact; returns which paths were scanned. */
  async scan(
    name: ArtifactName,
    visit: (line: LineCursor, path: string) => void | boolean,
  ): Promise<{ state: "missing" | "ok" | "error"; paths: string[] }> {
    const paths = await this.paths(name);
    if (paths.length === 0) return { state: "missing", paths };
    const scanned: string[] = [];
    for (const path of paths) if (await this.scanAt(path, visit)) scanned.push(path);
    return { state: scanned.length > 0 ? "ok" : "error", paths: scanned };
  }

  async scanAt(path: string, visit: (line: LineCursor, path: string) => void | boolean): Promise<boolean> {
    try {
      const stats = await scanLines(this.evidence.source, path, (line) => visit(line, path), this.signal);
      this.bytesRead += stats.bytesRead;
      this.linesScanned += stats.linesScanned;
      if (!this.states.has(path)) this.states.set(path, "ok");
      return true;
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      this.fail(path, error);
      return false;
    }
  }

  /** Like `scanAt`, but only lines matching a global prefilter regex reach `visit` (fast path for big logs). */
  async scanMatchingAt(
    path: string,
    prefilter: RegExp | MultiLiteral,
    visit: (line: LineCursor, path: string) => void | boolean,
  ): Promise<boolean> {
    try {
      const stats = await scanMatchingLines(
        this.evidence.source,
        path,
        prefilter,
        (line) => visit(line, path),
        this.signal,
      );
      this.bytesRead += stats.bytesRead;
      this.linesScanned += stats.linesScanned;
      if (!this.states.has(path)) this.states.set(path, "ok");
      return true;
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      this.fail(path, error);
      return false;
    }
  }

  /** Records that a present file could not be used, and why. */
  gap(path: string, reason: string): { state: "error"; path: string; reason: string } {
    this.gaps.push({ source: path, reason });
    this.states.set(path, "error");
    return { state: "error", path, reason };
  }

  /** ok when anything was usable, error when only unusable files were found, no_data otherwise. */
  status(): "ok" | "no_data" | "error" {
    const values = [...this.states.values()];
    if (values.includes("ok")) return "ok";
    return values.includes("error") ? "error" : "no_data";
  }

  private fail(path: string, error: unknown): { state: "error"; path: string; reason: string } {
    if (!(error instanceof EvidenceError)) throw error;
    return this.gap(path, error.message);
  }
}
