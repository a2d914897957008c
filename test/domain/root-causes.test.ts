import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT_CAUSE_IDS } from "../../src/domain/root-causes.ts";

describe("the root-cause catalog users read (docs/root-causes.md)", () => {
  it("lists exactly the ids fathom answers with, none missing, none extra", async () => {
    const text = await readFile(join(import.meta.dirname, "..", "..", "docs", "root-causes.md"), "utf8");
    const documented = [...text.matchAll(/^\| `([a-z0-9.-]+)` \|/gm)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(ROOT_CAUSE_IDS));
  });
});
