import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LatencyClient } from "./latency-client.ts";
import { createReportValidator } from "./report-validator.ts";

/** The MCP client lanes call tools through: tool reports validated with zod, optional latency. */
export function createCoordinatorClient(
  info: { name: string; version: string },
  options: { latencyMs?: number } = {},
): Client {
  const clientOptions = { jsonSchemaValidator: createReportValidator() };
  return options.latencyMs
    ? new LatencyClient(info, options.latencyMs, clientOptions)
    : new Client(info, clientOptions);
}
