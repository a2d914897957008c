import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PINNED_DIR, replayBehaviour, scenarioSlugs } from "./behaviour.ts";

// Top-1 accuracy hides drift: a refactor that changes one finding's attribute, one confidence or
// one ruled-out reason still scores 100%. Every scenario's findings and root causes are pinned
// byte for byte; a change of behaviour must re-pin on purpose (test/behaviour/pin.ts).
describe("every scenario's findings and root causes", async () => {
  for (const slug of await scenarioSlugs()) {
    it(`${slug} concludes exactly what was pinned`, async () => {
      const pinned = await readFile(join(PINNED_DIR, `${slug}.json`), "utf8");
      expect(await replayBehaviour(slug)).toBe(pinned);
      // A correctness check, not a timing one: generous enough for a machine busy with other work.
    }, 300_000);
  }
});
