import { EvidenceError } from "./errors.ts";
import { normalizeMemberPath } from "./safe-path.ts";
import type { EvidenceSource } from "./source.ts";

/** Evidence held in memory: for tests and for inline scenario artifacts. */
export function createMemorySource(
  files: Map<string, string | Uint8Array> | Record<string, string | Uint8Array>,
  label = "memory",
): EvidenceSource {
  const entries = new Map<string, Buffer>();
  for (const [path, content] of files instanceof Map ? files : Object.entries(files)) {
    entries.set(normalizeMemberPath(path), typeof content === "string" ? Buffer.from(content) : Buffer.from(content));
  }
  const get = (path: string) => {
    const found = entries.get(normalizeMemberPath(path));
    if (!found) throw new EvidenceError(path, `${path} is not in the bundle`);
    return found;
  };
  return {
    label,
    name: label,
    async list() {
      return [...entries].map(([path, data]) => ({ path, size: data.length }));
    },
    async skipped() {
      return [];
    },
    async problems() {
      return [];
    },
    async stat(path) {
      const data = entries.get(normalizeMemberPath(path));
      return data ? { path: normalizeMemberPath(path), size: data.length } : undefined;
    },
    async read(path, maxBytes) {
      const data = get(path);
      if (data.length > maxBytes)
        throw new EvidenceError(path, `${path} is ${data.length} bytes, more than the ${maxBytes} this reader accepts`);
      return data;
    },
    async tail(path, maxBytes) {
      const data = get(path);
      return data.subarray(Math.max(0, data.length - maxBytes));
    },
    async *chunks(path) {
      const data = get(path);
      for (let offset = 0; offset < data.length; offset += 1 << 20) yield data.subarray(offset, offset + (1 << 20));
    },
    async close() {},
  };
}
