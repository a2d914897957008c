import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createNodeEvidence, type NodeEvidence } from "../evidence/node-evidence.ts";
import { openBundle } from "../evidence/open-bundle.ts";
import type { EvidenceSource } from "../evidence/source.ts";
import { EVENTS_MEMBER, eventsForNode, type KubernetesEvent } from "../evidence/kubernetes-events.ts";
import { overlaySource } from "../evidence/overlay-source.ts";

/** Thrown when a caller names no node, or one no bundle is about: invalid input, said plainly. */
export class UnknownNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnknownNodeError";
  }
}

/** The bundles a server or an investigation holds, found by node name or instance id. */
export interface NodeRegistry {
  nodes(): Array<{ node: string; instanceId: string | undefined; label: string }>;
  resolve(node?: string): NodeEvidence;
  close(): Promise<void>;
}

/**
 * Holds each bundle as one node's evidence. Kubernetes events (`--events`), which no node file
 * carries, are laid over each node's bundle as the events that concern that node.
 */
export async function createNodeRegistry(
  sources: EvidenceSource[],
  options: { events?: readonly KubernetesEvent[] } = {},
): Promise<NodeRegistry> {
  const entries: Array<{ evidence: NodeEvidence; instanceId: string | undefined }> = [];
  for (const source of sources) {
    let evidence = await createNodeEvidence(source);
    const instanceId = (await evidence.identity()).instanceId;
    if (options.events) {
      const mine = eventsForNode(options.events, evidence.node, instanceId);
      evidence = await createNodeEvidence(
        overlaySource(source, new Map([[EVENTS_MEMBER, JSON.stringify({ kind: "List", items: mine })]])),
        evidence.node,
      );
    }
    entries.push({ evidence, instanceId });
  }
  return {
    nodes: () =>
      entries.map((e) => ({ node: e.evidence.node, instanceId: e.instanceId, label: e.evidence.source.label })),
    resolve(node) {
      if (node === undefined) {
        const [only, ...rest] = entries;
        if (only && rest.length === 0) return only.evidence;
        throw new UnknownNodeError(
          entries.length === 0
            ? "no bundle is loaded"
            : `several bundles are loaded; name one with "node" (${entries.map((e) => e.evidence.node).join(", ")})`,
        );
      }
      const found = entries.find(
        (e) => e.evidence.node === node || e.instanceId === node || e.evidence.node.split(".")[0] === node,
      );
      if (!found)
        throw new UnknownNodeError(
          `no bundle for node "${node}"; known: ${entries.map((e) => e.evidence.node).join(", ")}`,
        );
      return found.evidence;
    },
    async close() {
      await Promise.all(entries.map((e) => e.evidence.source.close()));
    },
  };
}

/** `--bundle a --bundle b` and `--bundles <dir>` (every folder or .tar.gz inside). */
export async function openBundles(bundles: string[], bundlesDir?: string): Promise<EvidenceSource[]> {
  const paths = [...bundles];
  if (bundlesDir) {
    const names = (await readdir(bundlesDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() || /\.(tar\.gz|tgz)$/.test(d.name))
      .map((d) => join(bundlesDir, d.name));
    paths.push(...names.sort());
  }
  const opened: EvidenceSource[] = [];
  try {
    for (const path of paths) opened.push(await openBundle(path));
  } catch (error) {
    await Promise.all(opened.map((s) => s.close()));
    throw error;
  }
  return opened;
}
