import { EvidenceError } from "./errors.ts";
import { normalizeMemberPath } from "./safe-path.ts";
import type { EvidenceSource } from "./source.ts";

/**
 * A source with extra in-memory members laid over it (Kubernetes events, which no node file
 * carries). The overlay wins on a name clash; everything else is the underlying source.
 */
export function overlaySource(base: EvidenceSource, extra: ReadonlyMap<string, string>): EvidenceSource {
  const files = new Map([...extra].map(([path, text]) => [normalizeMemberPath(path), Buffer.from(text)]));
  const entry = (path: string) => {
    const data = files.get(normalizeMemberPath(path));
    return data ? { path: normalizeMemberPath(path), size: data.length } : undefined;
  };
  return {
    label: base.label,
    name: base.name,
    async list() {
      return [
        ...(await base.list()).filter((e) => !files.has(e.path)),
        ...[...files].map(([path, data]) => ({ path, size: data.length })),
      ];
    },
    skipped: () => base.skipped(),
    problems: () => base.problems(),
    async stat(path) {
      return entry(path) ?? base.stat(path);
    },
    async read(path, maxBytes) {
      const data = files.get(normalizeMemberPath(path));
      if (!data) return base.read(path, maxBytes);
      if (data.length > maxBytes)
        throw new EvidenceError(path, `${path} is ${data.length} bytes, more than the ${maxBytes} this reader accepts`);
      return data;
    },
    async tail(path, maxBytes) {
      const data = files.get(normalizeMemberPath(path));
      return data ? data.subarray(Math.max(0, data.length - maxBytes)) : base.tail(path, maxBytes);
    },
    async *chunks(path, signal) {
      const data = files.get(normalizeMemberPath(path));
      if (data) yield data;
      else yield* base.chunks(path, signal);
    },
    close: () => base.close(),
  };
}
