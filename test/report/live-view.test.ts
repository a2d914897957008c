import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { writeBundleDir } from "../../src/fixtures/write-bundle.ts";
import { TmuxSession } from "../helpers/tmux.ts";

const root = join(import.meta.dirname, "..", "..");
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fathom-live-"));
  bundle = join(dir, "bundle");
  await writeBundleDir(healthyBaseline(), bundle);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the live view in a real terminal", () => {
  it("shows each lane's progress while tools run, then the report", async () => {
    const tmux = new TmuxSession(
      `fathom-live-${process.pid}`,
      [process.execPath, join(root, "bin", "fathom.mjs"), "investigate", "--bundle", bundle, "--tool-latency", "400"],
      { cwd: root },
    );
    try {
      const during = await tmux.waitFor(/network\s+running/, 30_000);
      expect(during).toMatch(/fathom: investigating/);
      for (const lane of ["network", "service", "runtime", "host"])
        expect(during).toMatch(new RegExp(`${lane}\\s+(running|waiting|done)\\s+\\d+ done\\s+\\d+ running`));
      const after = await tmux.waitFor(/NOTHING FOUND|ROOT CAUSE/, 60_000);
      expect(after).toMatch(/network\s+done\s+\d+ done\s+0 running/);
      expect(after).toMatch(/nothing below the kubelet explains this incident/);
      // Redrawn in place: one progress block, not one per refresh.
      expect(after.match(/fathom: investigating/g)?.length).toBe(1);
    } finally {
      tmux.kill();
    }
  });
});
