import { belongsTo, LAYOUT, TOP_LEVEL_FOLDERS, type ArtifactName } from "../evidence/layout.ts";
import type { ArtifactEntry, SkippedEntry } from "../evidence/source.ts";

/** Everything a bundle's container says about itself: its files, what it refused, what broke. */
export interface BundleListing {
  name: string;
  files: ArtifactEntry[];
  skipped: SkippedEntry[];
  problems: string[];
}

export interface ArtifactState {
  name: ArtifactName;
  paths: string[];
  bytes: number;
  state: "present" | "empty" | "missing";
}

export interface Inventory {
  artifacts: ArtifactState[];
  foldersPresent: string[];
  /** Top-level folders the collector always creates that hold no file (empty folders are not listed by sources). */
  foldersWithoutFiles: string[];
  /** Top-level names the collector does not create (another tool's output, a re-packed bundle). */
  unexpectedTopLevel: string[];
  totalFiles: number;
  totalBytes: number;
  /** Files that belong to no known artifact. */
  unclaimedFiles: number;
}

/** Which layout artifacts a listing holds, which are empty, which are missing. Pure over the listing. */
export function inventoryOf(files: readonly ArtifactEntry[]): Inventory {
  const names = Object.keys(LAYOUT) as ArtifactName[];
  const byExactPath = new Map<string, ArtifactName[]>();
  for (const name of names)
    for (const path of LAYOUT[name].paths) byExactPath.set(path, [...(byExactPath.get(path) ?? []), name]);
  const patterned = names.filter((name) => "pattern" in LAYOUT[name]);
  const members = new Map<ArtifactName, ArtifactEntry[]>();
  let unclaimedFiles = 0;
  // One pass over the files: exact paths by lookup, only the few pattern artifacts by regex.
  for (const file of files) {
    const owners = [
      ...(byExactPath.get(file.path) ?? []),
      ...patterned.filter((name) => belongsTo(name, file.path) && !LAYOUT[name].paths.includes(file.path)),
    ];
    if (owners.length === 0) unclaimedFiles += 1;
    for (const name of owners) {
      const list = members.get(name);
      if (list) list.push(file);
      else members.set(name, [file]);
    }
  }
  const artifacts: ArtifactState[] = names.map((name) => {
    const matching = members.get(name) ?? [];
    const bytes = matching.reduce((sum, f) => sum + f.size, 0);
    return {
      name,
      paths: matching.map((f) => f.path).sort(),
      bytes,
      state: matching.length === 0 ? "missing" : bytes === 0 ? "empty" : "present",
    };
  });
  const topLevel = new Set(files.map((f) => f.path.split("/")[0] as string));
  // The collector's folders, plus any folder the layout itself names (fathom's own overlays).
  const known = new Set<string>([
    ...TOP_LEVEL_FOLDERS,
    ...names.flatMap((name) => LAYOUT[name].paths.map((p) => p.split("/")[0] as string)),
  ]);
  return {
    artifacts,
    foldersPresent: TOP_LEVEL_FOLDERS.filter((f) => topLevel.has(f)),
    foldersWithoutFiles: TOP_LEVEL_FOLDERS.filter((f) => !topLevel.has(f)),
    unexpectedTopLevel: [...topLevel].filter((t) => !known.has(t)).sort(),
    totalFiles: files.length,
    totalBytes: files.reduce((sum, f) => sum + f.size, 0),
    unclaimedFiles,
  };
}
