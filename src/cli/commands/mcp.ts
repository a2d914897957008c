import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { TOOLS } from "../../../tools/index.ts";
import { EvidenceError } from "../../evidence/errors.ts";
import { createLogger, type Logger } from "../../logger.ts";
import { createNodeRegistry, openBundles, type NodeRegistry } from "../../mcp/node-registry.ts";
import { startHttpMcpServer } from "../../mcp/http-server.ts";
import { createMcpServer } from "../../mcp/server.ts";
import { CliError } from "../cli-error.ts";
import { VERSION } from "../version.ts";
import { readEventsArg } from "../local-session.ts";

const USAGE = `Usage: fathom mcp --bundle <dir|tar.gz> [--bundle …] | --bundles <dir> [--events <file>] [--http <host:port>]
  Serves the diagnostic tools over MCP on stdio, or over Streamable HTTP at http://<host:port>/mcp with
  --http (requires a bearer token in FATHOM_MCP_TOKEN, at least 16 characters).`;

export async function runMcpCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        bundle: { type: "string", multiple: true },
        bundles: { type: "string" },
        events: { type: "string" },
        http: { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.bundle?.length && !values.bundles) throw new CliError(`--bundle or --bundles is required\n${USAGE}`);
  const logger = createLogger();
  const sources = await openBundles(values.bundle ?? [], values.bundles).catch((error: Error) => {
    throw new CliError(error instanceof EvidenceError ? error.message : `cannot open bundles: ${error.message}`);
  });
  const events = values.events ? await readEventsArg(values.events) : undefined;
  const registry = await createNodeRegistry(sources, events ? { events } : {});
  if (values.http) return serveHttp(values.http, registry, logger);
  const server = createMcpServer({ registry, tools: TOOLS, logger, version: VERSION });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on("end", () => resolve());
  });
  await server.connect(transport);
  logger.info({ nodes: registry.nodes() }, "fathom mcp serving on stdio");
  await closed;
  await server.close().catch(() => undefined);
  await registry.close();
  return 0;
}

async function serveHttp(listen: string, registry: NodeRegistry, logger: Logger): Promise<number> {
  const m = /^(.+):(\d{1,5})$/.exec(listen);
  if (!m) throw new CliError(`--http takes host:port, e.g. 127.0.0.1:8765, not "${listen}"`);
  const token = process.env.FATHOM_MCP_TOKEN ?? "";
  if (token.length < 16)
    throw new CliError("--http needs a bearer token of at least 16 characters in FATHOM_MCP_TOKEN");
  const http = await startHttpMcpServer({
    host: m[1] as string,
    port: Number(m[2]),
    token,
    logger,
    createServer: () => createMcpServer({ registry, tools: TOOLS, logger, version: VERSION }),
  });
  process.stderr.write(`fathom mcp: listening on ${http.url}\n`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  await http.close();
  await registry.close();
  return 0;
}
