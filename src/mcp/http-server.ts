import { timingSafeEqual, createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Logger } from "../logger.ts";

const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpMcpOptions {
  host: string;
  port: number;
  /** Bearer token every request must carry. Required: the tools read node data. */
  token: string;
  createServer: () => McpServer;
  logger: Logger;
}

/** Constant-time token check (hashing first makes the lengths equal). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1] ?? "";
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}

/**
 * MCP over Streamable HTTP, stateless: every POST gets a fresh server and transport, so nothing is
 * shared between callers but the bundles. Bearer auth is checked before the body is read.
 */
export async function startHttpMcpServer(
  options: HttpMcpOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  if (options.token.length < 16) throw new Error("the MCP HTTP token must be at least 16 characters");
  const server = createServer((req, res) => {
    void handle(req, res, options).catch((error: Error) => {
      options.logger.error({ err: error }, "mcp http request failed");
      if (!res.headersSent)
        json(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "internal error" }, id: null });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    server,
    url: `http://${options.host}:${port}/mcp`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpMcpOptions): Promise<void> {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/mcp") return json(res, 404, { error: "not found: the MCP endpoint is /mcp" });
  if (!bearerMatches(req.headers.authorization, options.token)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="fathom"');
    return json(res, 401, {
      jsonrpc: "2.0",
      error: { code: -32001, message: "missing or invalid bearer token" },
      id: null,
    });
  }
  if (req.method !== "POST")
    return json(res, 405, {
      jsonrpc: "2.0",
      error: { code: -32000, message: "stateless server: only POST" },
      id: null,
    });
  const body = await readBody(req);
  if (body === undefined)
    return json(res, 413, {
      jsonrpc: "2.0",
      error: { code: -32000, message: `body larger than ${MAX_BODY_BYTES} bytes` },
      id: null,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return json(res, 400, { jsonrpc: "2.0", error: { code: -32700, message: "body is not JSON" }, id: null });
  }
  const mcp = options.createServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res, parsed);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
