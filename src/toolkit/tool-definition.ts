import type { z } from "zod";
import type { Finding } from "../domain/finding.ts";
import type { WindowMs } from "../domain/time.ts";
import type { BundleClock } from "../evidence/bundle-clock.ts";
import type { ArtifactName } from "../evidence/layout.ts";
import type { EvidenceReader } from "./evidence-reader.ts";
import type { KindSpec } from "./finding-kinds.ts";

export { LANE_NAMES as LANES, type LaneName as Lane } from "../domain/lane.ts";
import type { LaneName as Lane } from "../domain/lane.ts";

/** A finding before the runner stamps it with its tool and node. */
export type FindingDraft = Omit<Finding, "id" | "tool" | "node">;

/** What an analyzer sees: the evidence of one node, its clock, the window, nothing else. */
export interface AnalyzerContext {
  node: string;
  window: WindowMs;
  clock: BundleClock;
  read: EvidenceReader;
  signal?: AbortSignal;
}

/**
 * One diagnostic tool. `analyze` holds the knowledge and is pure over evidence (it reads through
 * `ctx.read` and returns findings); the MCP and CLI wrappers are generic.
 */
export interface ToolDefinition<Extra extends z.ZodRawShape = z.ZodRawShape> {
  /** MCP name, `^[a-z][a-z0-9_]{0,63}$`, verb first. */
  name: string;
  title: string;
  /** The lane that usually calls it first. */
  lane: Lane;
  /** What it reads, which kinds it emits, what to call next: the text a model reads. */
  description: string;
  sources: ArtifactName[];
  /** Every finding kind the tool can emit: what it means and the attributes it carries. */
  kinds: Record<string, KindSpec>;
  /** Tool-specific input beyond `node` and `window` (typed hand-offs from other tools). */
  input: Extra;
  analyze(ctx: AnalyzerContext, input: z.infer<z.ZodObject<Extra>>): Promise<FindingDraft[]>;
}

/** Identity helper that keeps a tool's input type precise. */
export function defineTool<Extra extends z.ZodRawShape>(tool: ToolDefinition<Extra>): ToolDefinition<Extra> {
  return tool;
}
