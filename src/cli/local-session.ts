import { TOOLS } from "../../tools/index.ts";
import { EvidenceError } from "../evidence/errors.ts";
import { readKubernetesEventsFile, type KubernetesEvent } from "../evidence/kubernetes-events.ts";
import type { Logger } from "../logger.ts";
import { openBundles } from "../mcp/node-registry.ts";
import { openEvidenceSession, type EvidenceSession } from "../mcp/session.ts";
import { CliError } from "./cli-error.ts";
import { VERSION } from "./version.ts";

/** Opens bundles named on the command line as an evidence session: the default path. */
export async function openLocalSession(
  bundles: string[],
  logger: Logger,
  options: { events?: string; toolLatencyMs?: number } = {},
): Promise<EvidenceSession> {
  const events = options.events ? await readEventsArg(options.events) : undefined;
  const sources = await openBundles(bundles).catch((error: Error) => {
    throw new CliError(error instanceof EvidenceError ? error.message : `cannot open bundle: ${error.message}`, 3);
  });
  return openEvidenceSession(sources, {
    tools: TOOLS,
    logger,
    client: "fathom-coordinator",
    version: VERSION,
    ...(events ? { events } : {}),
    ...(options.toolLatencyMs ? { toolLatencyMs: options.toolLatencyMs } : {}),
  });
}

/** `--events <file>`: kubectl events, refused with a one-line reason when unreadable. */
export async function readEventsArg(path: string): Promise<KubernetesEvent[]> {
  return readKubernetesEventsFile(path).catch((error: Error) => {
    throw new CliError(error.message, 2);
  });
}
