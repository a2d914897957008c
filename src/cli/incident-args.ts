import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import YAML from "yaml";
import { IncidentSchema, type Incident } from "../domain/incident.ts";
import type { NodeInfo } from "../domain/investigation.ts";
import { CliError } from "./cli-error.ts";

const MAX_ALARM_BYTES = 1024 * 1024;

/** `--alarm <file>`: the normalized Incident, JSON or YAML, refused with what is wrong. */
export async function readAlarmFile(path: string): Promise<Incident> {
  let text: string;
  try {
    const data = await readFile(path);
    if (data.length > MAX_ALARM_BYTES) throw new CliError(`--alarm ${path} is larger than ${MAX_ALARM_BYTES} bytes`);
    text = data.toString("utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read --alarm ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (error) {
    throw new CliError(`--alarm ${path} is not valid JSON or YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = IncidentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `--alarm ${path} is not an incident: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}`,
    );
  }
  return parsed.data;
}

/** The incident of a manual investigation: the nodes asked for, at the time asked for. */
export function manualIncident(nodes: readonly NodeInfo[], options: { node?: string; at?: number }): Incident {
  const collected = nodes.map((n) => n.collectedAt).filter((t): t is number => t !== undefined);
  const at = options.at ?? (collected.length ? Math.max(...collected) : undefined);
  if (at === undefined) throw new CliError("no time to investigate: the bundle has no dated source; pass --at <time>");
  const nodeRef = options.node
    ? [/^i-[0-9a-f]+$/.test(options.node) ? { instanceId: options.node } : { name: options.node }]
    : [];
  const fingerprint = createHash("sha256")
    .update(JSON.stringify({ nodes: nodes.map((n) => [n.node, n.instanceId ?? ""]), node: options.node ?? "", at }))
    .digest("hex")
    .slice(0, 16);
  const what = options.node ?? nodes.map((n) => n.node).join(", ");
  return IncidentSchema.parse({
    id: `manual-${fingerprint}`,
    source: "manual",
    nodes: nodeRef,
    title: `Manual investigation of ${what}`,
    startsAt: new Date(at).toISOString(),
    fingerprint,
    labels: {},
  });
}

/** Same incident, same id: a re-run of the same input gives the same report. */
export function investigationIdFor(incident: Incident): string {
  return `inv-${createHash("sha256").update(`${incident.fingerprint}\u0000${incident.startsAt}`).digest("hex").slice(0, 12)}`;
}
