// Writes test/behaviour/pinned/<slug>.json from the current code. Run it only when a change of
// behaviour is intended, and say in the commit which scenarios changed and why:
//   node test/behaviour/pin.ts
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PINNED_DIR, replayBehaviour, scenarioSlugs } from "./behaviour.ts";

await mkdir(PINNED_DIR, { recursive: true });
for (const slug of await scenarioSlugs()) {
  await writeFile(join(PINNED_DIR, `${slug}.json`), await replayBehaviour(slug));
}
process.stdout.write(`pinned ${(await scenarioSlugs()).length} scenarios in ${PINNED_DIR}\n`);
