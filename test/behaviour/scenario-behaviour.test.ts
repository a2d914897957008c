import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/domain/finding.ts";
import { undeclaredAttributes } from "../../src/toolkit/finding-kinds.ts";
import { TOOLS } from "../../tools/index.ts";
import { PINNED_DIR, replayBehaviour, scenarioSlugs } from "./behaviour.ts";

const DECLARED = new Map(TOOLS.flatMap((tool) => Object.entries(tool.kinds)));
const undeclaredIn = (findings: Finding[]) =>
  findings.flatMap((f) => undeclaredAttributes(DECLARED.get(f.kind), f.kind, f.attributes));

// Top-1 accuracy hides drift: a refactor that changes one finding's attribute, one confidence or
// one ruled-out reason still scores 100%. Every scenario's findings and root causes are pinned
// byte for byte; a change of behaviour must re-pin on purpose (test/behaviour/pin.ts).
describe("every scenario's findings and root causes", async () => {
  for (const slug of await scenarioSlugs()) {
    it(`${slug} concludes exactly what was pinned`, async () => {
      const pinned = await readFile(join(PINNED_DIR, `${slug}.json`), "utf8");
      const behaviour = await replayBehaviour(slug);
      expect(behaviour).toBe(pinned);
      // Every finding carries only the attributes its kind declares, with the declared types.
      expect(undeclaredIn(JSON.parse(behaviour).findings)).toEqual([]);
      // A correctness check, not a timing one: generous enough for a machine busy with other work.
    }, 300_000);
  }
});
