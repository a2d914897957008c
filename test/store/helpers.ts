import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { openStore, type Clock, type Store } from "../../src/store/index.ts";
import { manualClock } from "./fixtures.ts";

export * from "./fixtures.ts";

/** A fresh temp directory per test, removed afterwards; stores opened through it are closed first. */
export function useTempStores() {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    path(name = "fathom.db"): string {
      const dir = mkdtempSync(join(tmpdir(), "fathom-store-"));
      dirs.push(dir);
      return join(dir, name);
    },
    open(path: string, clock: Clock = manualClock()): Store {
      const store = openStore(path, { clock });
      stores.push(store);
      return store;
    },
  };
}
