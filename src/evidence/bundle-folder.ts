import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createNodeEvidence, type NodeEvidence } from "./node-evidence.ts";
import { openBundle } from "./open-bundle.ts";
import type { EvidenceSource } from "./source.ts";

/** One bundle found in a folder, with who it is about and when it was collected. */
export interface FolderBundle {
  path: string;
  node: string;
  instanceId: string | undefined;
  collectedAt: number | undefined;
}

/**
 * Evidence for serve mode: a local folder of bundles (folders or .tar.gz), newest bundle per node.
 * Live SSM collection will implement the same `find` later.
 */
export interface EvidenceProvider {
  /** The newest bundle of each node, by node name or instance id. */
  catalog(): Promise<FolderBundle[]>;
  open(bundle: FolderBundle): Promise<EvidenceSource>;
}

export function createBundleFolderProvider(dir: string): EvidenceProvider {
  return {
    async catalog() {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      const found: FolderBundle[] = [];
      for (const entry of entries) {
        if (!(entry.isDirectory() || /\.(tar\.gz|tgz)$/.test(entry.name))) continue;
        const path = join(dir, entry.name);
        let source: EvidenceSource | undefined;
        try {
          source = await openBundle(path);
          const evidence: NodeEvidence = await createNodeEvidence(source);
          const identity = await evidence.identity();
          found.push({
            path,
            node: evidence.node,
            instanceId: identity.instanceId,
            collectedAt: (await evidence.clock()).collectedAt,
          });
        } catch {
          // An unreadable bundle is skipped here; opening it for an investigation reports why.
        } finally {
          await source?.close();
        }
      }
      const newest = new Map<string, FolderBundle>();
      for (const bundle of found) {
        const key = bundle.instanceId ?? bundle.node;
        const current = newest.get(key);
        if (!current || (bundle.collectedAt ?? 0) > (current.collectedAt ?? 0)) newest.set(key, bundle);
      }
      return [...newest.values()].sort((a, b) => a.node.localeCompare(b.node));
    },
    open: (bundle) => openBundle(bundle.path),
  };
}
