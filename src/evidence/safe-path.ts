import { UnsafePathError } from "./errors.ts";

const MAX_PATH = 1024;

/**
 * Normalizes a bundle member name to `a/b/c` form, or throws. Pure: the one predicate that decides
 * whether a name from an archive, a caller or a layout entry may be looked up at all.
 * Leading `./` is accepted because eks-log-collector's tarballs use it.
 */
export function normalizeMemberPath(raw: string): string {
  if (typeof raw !== "string" || raw.length === 0) throw new UnsafePathError(String(raw), "empty name");
  if (raw.length > MAX_PATH) throw new UnsafePathError(raw, `longer than ${MAX_PATH} characters`);
  if (raw.includes("\0")) throw new UnsafePathError(raw, "contains a NUL byte");
  if (raw.includes("\\")) throw new UnsafePathError(raw, "contains a backslash");
  if (raw.startsWith("/")) throw new UnsafePathError(raw, "absolute path");
  if (/^[A-Za-z]:/.test(raw)) throw new UnsafePathError(raw, "drive-letter path");
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") throw new UnsafePathError(raw, "path traversal (..)");
    parts.push(part);
  }
  if (parts.length === 0) throw new UnsafePathError(raw, "names the bundle root");
  return parts.join("/");
}

/** Non-throwing form for listings: undefined when the name is unsafe. */
export function tryNormalizeMemberPath(raw: string): string | undefined {
  try {
    return normalizeMemberPath(raw);
  } catch {
    return undefined;
  }
}
