import { isAbsolute, join, resolve } from "node:path";
import { createMemorySource } from "../evidence/memory-source.ts";
import { openBundle } from "../evidence/open-bundle.ts";
import { normalizeMemberPath } from "../evidence/safe-path.ts";
import type { EvidenceSource } from "../evidence/source.ts";
import { appendLines } from "../fixtures/append-lines.ts";
import type { BundleFiles } from "../fixtures/bundle-files.ts";
import { withFaults } from "../fixtures/fault.ts";
import { FAULTS } from "../fixtures/faults/index.ts";
import type { BaselineOptions } from "../fixtures/options.ts";
import { ScenarioError } from "./load-scenario.ts";
import type { Recipe, ScenarioNode } from "./scenario-schema.ts";

/** The bundle files a recipe describes: the baseline, its faults, then inline edits. */
export function recipeFiles(recipe: Recipe, file: string): BundleFiles {
  const { collectedAt, ...rest } = recipe.options ?? {};
  const options: BaselineOptions = {
    ...rest,
    ...(collectedAt ? { collectedAt: new Date(collectedAt) } : {}),
    ...(recipe.seed !== undefined ? { seed: recipe.seed } : {}),
  };
  const faults = (recipe.faults ?? []).map((id) => {
    const make = FAULTS[id];
    if (!make)
      throw new ScenarioError(
        file,
        undefined,
        `unknown fault "${id}"; known: ${Object.keys(FAULTS).sort().join(", ")}`,
      );
    return make();
  });
  const files = withFaults(options, ...faults);
  for (const path of recipe.remove ?? []) files.delete(safe(path, file));
  for (const [path, content] of Object.entries(recipe.replace ?? {})) files.set(safe(path, file), content);
  for (const [path, lines] of Object.entries(recipe.append ?? {})) appendLines(files, safe(path, file), lines);
  return files;
}

function safe(path: string, file: string): string {
  try {
    return normalizeMemberPath(path);
  } catch (error) {
    throw new ScenarioError(file, undefined, (error as Error).message);
  }
}

/** Opens a scenario node: a generated bundle in memory, or a recorded bundle beside the scenario. */
export async function materializeNode(
  node: ScenarioNode,
  dir: string,
  file: string,
  index: number,
): Promise<EvidenceSource> {
  if ("recipe" in node) return createMemorySource(recipeFiles(node.recipe, file), `${dir}#node${index + 1}`);
  const path = isAbsolute(node.bundle) ? node.bundle : resolve(join(dir, node.bundle));
  if (!path.startsWith(resolve(dir)))
    throw new ScenarioError(file, undefined, `bundle ${node.bundle} is outside the scenario folder`);
  return openBundle(path).catch((error: Error) => {
    throw new ScenarioError(
      file,
      undefined,
      `bundle ${node.bundle}: ${error.message} (record one into the scenario folder, or describe it with a recipe)`,
    );
  });
}
