import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";
import { ScenarioSchema, type Scenario } from "./scenario-schema.ts";

const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

/** A scenario file that cannot be used: says the file, the line and what is wrong. */
export class ScenarioError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line ? `:${line}` : ""}: ${message}`);
    this.name = "ScenarioError";
    this.file = file;
    this.line = line;
  }
}

export interface LoadedScenario {
  dir: string;
  slug: string;
  file: string;
  scenario: Scenario;
}

/** Reads and validates `<dir>/scenario.yaml`. */
export async function loadScenario(dir: string): Promise<LoadedScenario> {
  const file = join(dir, "scenario.yaml");
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile())
    throw new ScenarioError(
      file,
      undefined,
      "no scenario.yaml in this folder (a scenario is a folder holding scenario.yaml)",
    );
  if (info.size > MAX_SCENARIO_BYTES)
    throw new ScenarioError(file, undefined, `larger than ${MAX_SCENARIO_BYTES} bytes`);
  const text = await readFile(file, "utf8");
  return { dir, slug: dir.split("/").filter(Boolean).pop() ?? dir, file, scenario: parseScenario(text, file) };
}

/** Parses scenario YAML; errors carry the line of the offending value. Pure. */
export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [yamlError] = doc.errors;
  if (yamlError)
    throw new ScenarioError(file, yamlError.linePos?.[0]?.line, `invalid YAML: ${yamlError.message.split("\n")[0]}`);
  const parsed = ScenarioSchema.safeParse(doc.toJS({ maxAliasCount: 50 }));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const line = lineOf(doc, issue.path as Array<string | number>, lineCounter);
  const where = issue.path.length ? issue.path.join(".") : "(top level)";
  throw new ScenarioError(file, line, `${where}: ${issue.message}`);
}

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  path: Array<string | number>,
  counter: LineCounter,
): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
