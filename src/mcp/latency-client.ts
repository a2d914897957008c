import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * An MCP client that waits before every tool call, to measure and demonstrate fathom as it behaves
 * against remote tools (an SSM-backed read costs about 200 ms). Used by `--tool-latency` and the
 * benchmark; never on by default.
 */
export class LatencyClient extends Client {
  readonly latencyMs: number;

  constructor(
    info: { name: string; version: string },
    latencyMs: number,
    options?: ConstructorParameters<typeof Client>[1],
  ) {
    super(info, options);
    this.latencyMs = latencyMs;
  }

  override async callTool(...args: Parameters<Client["callTool"]>): ReturnType<Client["callTool"]> {
    await sleep(this.latencyMs, undefined, { signal: args[2]?.signal });
    return super.callTool(...args);
  }
}
