import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { TOOLS } from "../../../tools/index.ts";
import { EvidenceError } from "../../evidence/errors.ts";
import { createLogger } from "../../logger.ts";
import { createNodeRegistry, openBundles } from "../../mcp/node-registry.ts";
import { createMcpServer } from "../../mcp/server.ts";
import { CliError } from "../cli-error.ts";
import { VERSION } from "../version.ts";

const USAGE = "Usage: fathom mcp --bundle <dir|tar.gz> [--bundle …] | --bundles <dir>   (MCP over stdio)";

export async function runMcpCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { bundle: { type: "string", multiple: true }, bundles: { type: "string" }, help: { type: "boolean" } } }));
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
  const registry = await createNodeRegistry(sources);
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
