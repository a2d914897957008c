import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { LimitFunction } from "p-limit";
import { ToolReportSchema } from "../domain/tool-report.ts";
import type { LaneName } from "../domain/lane.ts";
import type { CallRecord } from "../domain/tool-call.ts";

export interface ToolInfo {
  name: string;
  lane: LaneName;
  inputs: Set<string>;
}

export interface ToolCallerDeps {
  client: Client;
  /** Bounds calls across every lane and node. */
  overall: LimitFunction;
  callTimeoutMs: number;
  signal: AbortSignal;
  now: () => number;
  onCall?: (event: { phase: "start" | "end"; lane: LaneName; record?: CallRecord; node: string; tool: string }) => void;
}

/**
 * Calls tools through an MCP client, at most once per (node, tool, arguments) for the whole
 * investigation: a lane that follows a hint into another lane's tool reuses that call.
 */
export class ToolCaller {
  private readonly cache = new Map<string, Promise<CallRecord>>();
  private readonly deps: ToolCallerDeps;

  constructor(deps: ToolCallerDeps) {
    this.deps = deps;
  }

  has(node: string, tool: string, args: Record<string, unknown>): boolean {
    return this.cache.has(key(node, tool, args));
  }

  /** Calls (or joins the call of) a tool; `asker` is the lane that wants it, for progress only. */
  call(info: ToolInfo, node: string, args: Record<string, unknown>, asker: LaneName): Promise<CallRecord> {
    const k = key(node, info.name, args);
    let pending = this.cache.get(k);
    if (!pending) {
      pending = this.deps.overall(() => this.invoke(info, node, args, asker));
      this.cache.set(k, pending);
    }
    return pending;
  }

  records(): Promise<CallRecord[]> {
    return Promise.all(this.cache.values());
  }

  private async invoke(
    info: ToolInfo,
    node: string,
    args: Record<string, unknown>,
    asker: LaneName,
  ): Promise<CallRecord> {
    const started = this.deps.now();
    const base = { node, tool: info.name, lane: info.lane };
    this.deps.onCall?.({ phase: "start", lane: asker, node, tool: info.name });
    let record: CallRecord;
    if (this.deps.signal.aborted) {
      record = { ...base, status: "failed", error: "investigation cancelled", durationMs: 0 };
    } else {
      try {
        const result = await this.deps.client.callTool({ name: info.name, arguments: { node, ...args } }, undefined, {
          signal: this.deps.signal,
          timeout: this.deps.callTimeoutMs,
        });
        const durationMs = this.deps.now() - started;
        if (result.isError) {
          const text = Array.isArray(result.content)
            ? result.content.map((c) => (c.type === "text" ? c.text : "")).join(" ")
            : "tool error";
          record = { ...base, status: "failed", error: text.slice(0, 500), durationMs };
        } else {
          const report = ToolReportSchema.parse(result.structuredContent);
          record = { ...base, status: report.status, report, durationMs };
        }
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        const timedOut = /timed out|timeout/i.test(message) && !this.deps.signal.aborted;
        record = {
          ...base,
          status: timedOut ? "timed-out" : "failed",
          error: message.slice(0, 500),
          durationMs: this.deps.now() - started,
        };
      }
    }
    this.deps.onCall?.({ phase: "end", lane: asker, record, node, tool: info.name });
    return record;
  }
}

function key(node: string, tool: string, args: Record<string, unknown>): string {
  return `${node}\u0000${tool}\u0000${JSON.stringify(Object.fromEntries(Object.entries(args).sort(([a], [b]) => a.localeCompare(b))))}`;
}
