import { deriveBundleClock, type BundleClock } from "./bundle-clock.ts";
import { LAYOUT, primaryPath, type ArtifactName, type ArtifactSpec } from "./layout.ts";
import type { EvidenceSource } from "./source.ts";

/** Who a bundle is about, from the bundle itself. */
export interface NodeIdentity {
  name: string | undefined;
  instanceId: string | undefined;
}

/**
 * One node's evidence: a source plus what is derived from it once (its clock, its identity, which
 * logical artifacts are present). Shared by every tool call of an investigation.
 */
export interface NodeEvidence {
  readonly source: EvidenceSource;
  /** The name findings are tagged with: node name, else instance id, else the bundle's name. */
  readonly node: string;
  identity(): Promise<NodeIdentity>;
  clock(): Promise<BundleClock>;
  /** Present paths for a logical artifact, in layout order (pattern matches sorted). */
  resolve(name: ArtifactName): Promise<string[]>;
}

export async function createNodeEvidence(source: EvidenceSource, nodeHint?: string): Promise<NodeEvidence> {
  const entries = await source.list();
  const present = new Set(entries.map((e) => e.path));
  const identity = await readIdentity(source, present);
  let clock: Promise<BundleClock> | undefined;
  return {
    source,
    node: nodeHint ?? identity.name ?? identity.instanceId ?? source.name,
    async identity() {
      return identity;
    },
    clock() {
      return (clock ??= deriveBundleClock(source));
    },
    async resolve(name) {
      const spec: ArtifactSpec = LAYOUT[name];
      const found = spec.paths.filter((p) => present.has(p));
      if (spec.pattern) {
        const pattern = spec.pattern;
        for (const path of [...present].filter((p) => pattern.test(p)).sort())
          if (!found.includes(path)) found.push(path);
      }
      return found;
    },
  };
}

async function readSmall(source: EvidenceSource, present: Set<string>, path: string): Promise<string | undefined> {
  if (!present.has(path)) return undefined;
  return (await source.read(path, 1 << 20).catch(() => undefined))?.toString("utf8");
}

async function readIdentity(source: EvidenceSource, present: Set<string>): Promise<NodeIdentity> {
  const instance = (await readSmall(source, present, primaryPath("instanceId")))?.trim();
  const instanceId = instance && /^i-[0-9a-f]{8,17}$/.test(instance) ? instance : undefined;
  // The kubelet journal's host column is the node's hostname, which is its node name on EKS unless
  // overridden; the unit's --hostname-override wins when present.
  let name: string | undefined;
  const unit = await readSmall(source, present, primaryPath("kubeletService"));
  const override = unit ? /--hostname-override[= ]([a-z0-9.-]+)/.exec(unit)?.[1] : undefined;
  if (override && !override.includes("$")) name = override;
  if (!name && present.has(primaryPath("kubeletJournal"))) {
    const chunk = await firstBytes(source, primaryPath("kubeletJournal"), 16 * 1024);
    const m = /^[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2} ([a-z0-9][a-z0-9.-]*) kubelet\[/m.exec(chunk);
    if (m) name = m[1];
  }
  return { name, instanceId };
}

async function firstBytes(source: EvidenceSource, path: string, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source.chunks(path)) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= max) break;
    }
  } catch {
    return "";
  }
  return Buffer.concat(parts).subarray(0, max).toString("utf8");
}
