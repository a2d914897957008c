import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { BundleClock } from "../src/evidence/bundle-clock.ts";
import { iso } from "../src/evidence/clock.ts";
import { primaryPath, type ArtifactName } from "../src/evidence/layout.ts";
import type { SkippedEntry } from "../src/evidence/source.ts";
import { inventoryOf, type ArtifactState, type BundleListing, type Inventory } from "../src/toolkit/bundle-listing.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { humanDuration } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";
import { z } from "zod";

const KINDS = {
  "bundle.inventory": kind(
    "What the bundle holds (fact): file and byte counts, layout artifacts present / empty / missing, top-level folders, node identity files",
    {
      files: attr.count("Files in the bundle (files)"),
      bytes: attr.bytes("Total size of the bundle's files"),
      artifactsPresent: attr.texts("Layout artifacts with at least one non-empty file"),
      artifactsEmpty: attr.texts("Layout artifacts whose files are all empty"),
      artifactsMissing: attr.texts("Layout artifacts with no file in the bundle"),
      foldersPresent: attr.texts("Top-level folders holding files"),
      foldersWithoutFiles: attr.texts("Top-level folders the collector always creates that hold no file"),
      unexpectedTopLevel: attr.texts("Top-level names the collector does not create"),
      unclaimedFiles: attr.count("Files that belong to no known artifact (files)"),
      ignoreIntrospection: attr.flag("True when the collector skipped IPAMD introspection (--ignore_introspection)"),
      ignoreMetrics: attr.flag("True when the collector skipped IPAMD metrics (--ignore_metrics)"),
      containerLogs: attr.count("Container log files in the bundle (files)"),
      instanceId: attr.text("EC2 instance id from the bundle's identity file"),
      region: attr.text("AWS region from the bundle's identity file"),
      availabilityZone: attr.text("Availability zone from the bundle's identity file"),
    },
  ),
  "bundle.collection-time": kind(
    "When the bundle was collected and how that was derived (archive name or newest timestamp), the boot time and uptime (fact)",
    {
      collectedFrom: z
        .enum(["archive-name", "newest-timestamp", "unknown"])
        .describe("How the collection time was derived: from the archive name, the newest timestamp, or unknown"),
      archiveName: attr.text("Name of the bundle (archive or folder)"),
      collectedAt: attr.instant("When the bundle was collected"),
      bootTime: attr.instant("When the node booted (btime in system/procstat.txt)"),
      uptimeHours: attr.number("Time from boot to collection, to 0.1", "hours"),
      yearReference: attr.instant("Instant used to give a year to log timestamps that lack one"),
    },
  ),
  "bundle.introspection-skipped": kind(
    "The collector ran with --ignore_introspection and/or --ignore_metrics: missing or empty IPAMD introspection/metrics files are expected, not a sign of ipamd being down (fact)",
    {
      introspectionSkipped: attr.flag("True when IPAMD introspection was skipped (flag or marker file)"),
      metricsSkipped: attr.flag("True when IPAMD metrics were skipped (flag or marker file)"),
    },
  ),
  "bundle.missing-sources": kind(
    "Core sources are absent (attribute `missing`): tools that need them answer no_data and conclusions from them are unavailable; medium when most are missing",
    {
      missing: attr.texts("Key sources with no file (kubeletJournal, containerdLog, dmesg …)"),
      coreSourcesChecked: attr.count("Key sources checked (sources)"),
      archiveDamaged: attr.flag("True when the archive is damaged, which may explain missing members"),
      notes: attr.texts("Known reasons a source can be missing"),
    },
  ),
  "bundle.empty-sources": kind(
    "Core files are present but empty (attributes `empty`, `coreEmpty`, `emptyIntrospection`): the command behind them produced nothing (for IPAMD introspection: ipamd did not answer)",
    {
      empty: attr.texts("Empty key sources, then other empty artifacts"),
      coreEmpty: attr.texts("Key sources present but empty"),
      emptyIntrospection: attr.texts(
        "IPAMD introspection artifacts that are empty although the collector did not skip them",
      ),
    },
  ),
  "bundle.archive-damaged": kind(
    "The archive is corrupt or truncated: members after the damage, or cut off by it, are lost (attribute `problems`, `incompleteMembers`)",
    {
      problems: attr.texts("What is wrong with the archive, as the reader reported it"),
      incompleteMembers: attr.texts("Members cut off by the damage, at most 50"),
    },
  ),
  "bundle.skipped-members": kind(
    "Members refused on purpose: symbolic links, unsafe names, devices, members that could not be extracted (attribute `members`)",
    {
      members: attr.texts("Refused members' paths, at most 50"),
      reasons: attr.texts("Distinct reasons the members were refused"),
    },
  ),
};
type Kind = keyof typeof KINDS;

/** Sources most investigations lean on; ones that are one of several alternatives are grouped. */
const KEY_SOURCES: ReadonlyArray<{ label: string; any: ArtifactName[]; unlessSkipped?: "introspection" | "metrics" }> =
  [
    { label: "kubeletJournal", any: ["kubeletJournal"] },
    { label: "kubeletConfig", any: ["kubeletConfig"] },
    { label: "kubeconfig", any: ["kubeconfig"] },
    { label: "kubeletService", any: ["kubeletService"] },
    { label: "containerdLog", any: ["containerdLog"] },
    { label: "containerdConfig", any: ["containerdConfig"] },
    { label: "dmesg", any: ["dmesgHuman", "dmesg"] },
    { label: "procStat", any: ["procStat"] },
    { label: "ipamdLog", any: ["ipamdLog"] },
    { label: "cniPluginLog", any: ["cniPluginLog"] },
    { label: "cniConflist", any: ["cniConflist"] },
    { label: "ipamdEnis", any: ["ipamdEnis"], unlessSkipped: "introspection" },
    { label: "ipamdMetrics", any: ["ipamdMetrics"], unlessSkipped: "metrics" },
    { label: "iptablesSave", any: ["iptablesSave"] },
    { label: "conntrack", any: ["conntrack"] },
    { label: "ipRoutes", any: ["ipRoutes"] },
    { label: "ipRules", any: ["ipRules"] },
    { label: "resolvConf", any: ["resolvConf"] },
    { label: "sysctls", any: ["sysctls"] },
    { label: "mounts", any: ["mounts"] },
  ];

/** IPAMD introspection files the collector writes with curl, empty when ipamd did not answer. */
const INTROSPECTION: ArtifactName[] = [
  "ipamdEnis",
  "ipamdPods",
  "ipamdEnvSettings",
  "networkUtilsEnvSettings",
  "eniConfigs",
];

/** Identity and flag files are a line or two; anything larger is not one. */
const SMALL_FILE_BYTES = 64 * 1024;
/** How much of a file is read to mark the listing as read when no identity file is there. */
const PROBE_BYTES = 1 << 20;
/** Members quoted as evidence, named in gaps, and listed in attributes: enough to act on, bounded for huge archives. */
const MEMBER_SAMPLES = 3;
const MEMBER_GAPS = 20;
const MEMBERS_LISTED = 50;

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "bundle.missing-sources": [],
  "bundle.empty-sources": ["inspect_ipamd_state", "read_ipamd_log"],
  "bundle.introspection-skipped": ["inspect_ipamd_state"],
};

function finding(
  kind: Kind,
  severity: Severity,
  summary: string,
  evidence: EvidenceLocator[],
  count: number,
  attributes: FindingDraft["attributes"],
): FindingDraft {
  return draft({ kind, severity, summary, evidence, count, attributes, correlateWith: CORRELATE[kind] });
}

function list(items: readonly string[], max = 6): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** `ignore_introspection: "true"` lines (the collector's own format), tolerant of `=` and quotes. */
function parseScriptParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_]+)\s*[:=]\s*"?([^"\r]*)"?\s*$/.exec(line);
    if (m) out[m[1] as string] = (m[2] as string).trim();
  }
  return out;
}

async function smallText(
  read: EvidenceReader,
  name: ArtifactName,
): Promise<{ path: string; text: string } | undefined> {
  const [path] = await read.paths(name);
  if (!path) return undefined;
  const size = await read.size(path);
  if (size === undefined || size > SMALL_FILE_BYTES) return undefined;
  const file = await read.textAt(path);
  return file.state === "ok" ? { path, text: file.text } : undefined;
}

/** What the bundle is, before any of its sources is read: its listing, inventory, identity and the collector's flags. */
interface Bundle {
  listing: BundleListing;
  inv: Inventory;
  byName: Map<ArtifactName, ArtifactState>;
  params: { path: string; text: string } | undefined;
  /** Trimmed contents of the identity files. */
  identity: { instanceId: string | undefined; region: string | undefined; availabilityZone: string | undefined };
  introspectionSkipped: boolean;
  metricsSkipped: boolean;
  /** Members cut off by a damaged archive. */
  incomplete: SkippedEntry[];
  /** Members refused on purpose (links, unsafe names, devices). */
  refused: SkippedEntry[];
  damaged: boolean;
}

async function readBundle(read: EvidenceReader): Promise<Bundle | undefined> {
  const listing: BundleListing = await read.listing();
  if (listing.files.length === 0 && listing.skipped.length === 0 && listing.problems.length === 0) return undefined;
  const inv = inventoryOf(listing.files);
  const byName = new Map(inv.artifacts.map((a) => [a.name, a]));

  // Small identity and flag files: reading them also marks the listing as read.
  const params = await smallText(read, "scriptParams");
  const instanceId = await smallText(read, "instanceId");
  const region = await smallText(read, "region");
  const availabilityZone = await smallText(read, "availabilityZone");
  if (!params && !instanceId && !region && !availabilityZone) {
    const smallest = [...listing.files].sort((a, b) => a.size - b.size)[0];
    if (smallest) await read.textAt(smallest.path, PROBE_BYTES);
  }
  const flags = params ? parseScriptParams(params.text) : {};

  const incomplete = listing.skipped.filter((s) => s.reason.startsWith("incomplete"));
  const damaged = listing.problems.length > 0 || incomplete.length > 0;
  if (damaged) {
    for (const problem of listing.problems) read.gap(listing.name, problem);
    for (const member of incomplete.slice(0, MEMBER_GAPS)) read.gap(member.path, member.reason);
  }
  return {
    listing,
    inv,
    byName,
    params,
    identity: {
      instanceId: instanceId?.text.trim(),
      region: region?.text.trim(),
      availabilityZone: availabilityZone?.text.trim(),
    },
    introspectionSkipped:
      flags.ignore_introspection === "true" || byName.get("introspectionIgnored")?.state !== "missing",
    metricsSkipped: flags.ignore_metrics === "true" || byName.get("metricsIgnored")?.state !== "missing",
    incomplete,
    refused: listing.skipped.filter((s) => !s.reason.startsWith("incomplete")),
    damaged,
  };
}

function artifactsIn(bundle: Bundle, state: ArtifactState["state"]): ArtifactName[] {
  return bundle.inv.artifacts.filter((a) => a.state === state).map((a) => a.name);
}

/** Key sources that are missing, or present but empty (with the empty files' paths). */
interface KeySources {
  missing: string[];
  empty: string[];
  emptyPaths: string[];
}

function keySourcesOf(bundle: Bundle): KeySources {
  const keys: KeySources = { missing: [], empty: [], emptyPaths: [] };
  for (const key of KEY_SOURCES) {
    if (
      (key.unlessSkipped === "introspection" && bundle.introspectionSkipped) ||
      (key.unlessSkipped === "metrics" && bundle.metricsSkipped)
    )
      continue;
    const states = key.any.map((name) => bundle.byName.get(name));
    if (states.some((s) => s?.state === "present")) continue;
    if (states.some((s) => s?.state === "empty")) {
      keys.empty.push(key.label);
      for (const s of states) if (s?.state === "empty") keys.emptyPaths.push(...s.paths);
    } else keys.missing.push(key.label);
  }
  return keys;
}

/** Without the source's listing (see bundle-listing.ts), the artifacts the reader can resolve. */
async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const bundle = await readBundle(ctx.read);
  if (!bundle) return [];
  const keys = keySourcesOf(bundle);
  return [
    inventoryFact(bundle),
    collectionTimeFact(bundle, ctx.clock),
    introspectionSkippedFact(bundle),
    missingSourcesFinding(bundle, keys),
    emptySourcesFinding(bundle, keys),
    archiveDamagedFinding(bundle),
    skippedMembersFinding(bundle),
  ].filter((f): f is FindingDraft => f !== undefined);
}

function inventoryFact(bundle: Bundle): FindingDraft {
  const { inv, identity } = bundle;
  const present = artifactsIn(bundle, "present");
  const empty = artifactsIn(bundle, "empty");
  const missing = artifactsIn(bundle, "missing");
  const attributes: FindingDraft["attributes"] = {
    files: inv.totalFiles,
    bytes: inv.totalBytes,
    artifactsPresent: present,
    artifactsEmpty: empty,
    artifactsMissing: missing,
    foldersPresent: inv.foldersPresent,
    foldersWithoutFiles: inv.foldersWithoutFiles,
    unexpectedTopLevel: inv.unexpectedTopLevel,
    unclaimedFiles: inv.unclaimedFiles,
    ignoreIntrospection: bundle.introspectionSkipped,
    ignoreMetrics: bundle.metricsSkipped,
    containerLogs: bundle.byName.get("containerLogs")?.paths.length ?? 0,
  };
  if (identity.instanceId) attributes.instanceId = identity.instanceId;
  if (identity.region) attributes.region = identity.region;
  if (identity.availabilityZone) attributes.availabilityZone = identity.availabilityZone;
  return finding(
    "bundle.inventory",
    "info",
    `Bundle ${bundle.listing.name} holds ${inv.totalFiles} files (${Math.round(inv.totalBytes / 1024)} KiB): ${present.length} artifacts present, ${empty.length} empty, ${missing.length} missing`,
    [],
    inv.totalFiles,
    attributes,
  );
}

function collectionTimeFact(bundle: Bundle, clock: BundleClock): FindingDraft {
  const attributes: FindingDraft["attributes"] = {
    collectedFrom: clock.collectedFrom,
    archiveName: bundle.listing.name,
  };
  if (clock.collectedAt !== undefined) attributes.collectedAt = iso(clock.collectedAt) as string;
  if (clock.bootTime !== undefined) attributes.bootTime = iso(clock.bootTime) as string;
  if (clock.collectedAt !== undefined && clock.bootTime !== undefined)
    attributes.uptimeHours = Math.round(((clock.collectedAt - clock.bootTime) / 3_600_000) * 10) / 10;
  if (clock.yearReference !== undefined) attributes.yearReference = iso(clock.yearReference) as string;
  const how =
    clock.collectedFrom === "archive-name"
      ? "from the archive name"
      : clock.collectedFrom === "newest-timestamp"
        ? "from the newest timestamp in the bundle"
        : "unknown: nothing in the bundle is dated";
  return finding(
    "bundle.collection-time",
    "info",
    `Collected ${clock.collectedAt !== undefined ? iso(clock.collectedAt) : "at an unknown time"} (${how})${clock.bootTime !== undefined ? `; booted ${iso(clock.bootTime)}${clock.collectedAt !== undefined ? `, ${humanDuration(clock.collectedAt - clock.bootTime)} before` : ""}` : "; boot time unknown (no btime in system/procstat.txt)"}`,
    bundle.byName.get("procStat")?.state === "present"
      ? [makeLocator(primaryPath("procStat"), undefined, clock.bootTime, "btime")]
      : [],
    1,
    attributes,
  );
}

function introspectionSkippedFact(bundle: Bundle): FindingDraft | undefined {
  const { introspectionSkipped, metricsSkipped, params } = bundle;
  if (!introspectionSkipped && !metricsSkipped) return undefined;
  const evidence: EvidenceLocator[] = [];
  if (params) evidence.push(makeLocator(params.path, undefined, undefined, params.text.trim().split("\n").join("; ")));
  for (const marker of ["introspectionIgnored", "metricsIgnored"] as const) {
    const paths = bundle.byName.get(marker)?.paths ?? [];
    if (paths[0])
      evidence.push(makeLocator(paths[0], undefined, undefined, "marker file written instead of the IPAMD data"));
  }
  return finding(
    "bundle.introspection-skipped",
    "info",
    `The collector skipped ${[introspectionSkipped ? "IPAMD introspection" : "", metricsSkipped ? "IPAMD metrics" : ""].filter(Boolean).join(" and ")}: their absence says nothing about ipamd`,
    evidence,
    1,
    { introspectionSkipped, metricsSkipped },
  );
}

/** Medium once most key sources are gone: little can be concluded from such a bundle. */
function missingSourcesFinding(bundle: Bundle, keys: KeySources): FindingDraft | undefined {
  const { missing } = keys;
  if (missing.length === 0) return undefined;
  const notes: string[] = [];
  if (missing.includes("containerdLog") && missing.includes("containerdConfig"))
    notes.push("the collector only gathers containerd files while a containerd process runs");
  if (missing.includes("cniConflist")) notes.push("the CNI writes its conflist only once ipamd is up");
  if (bundle.damaged) notes.push("the archive is damaged, which may explain missing members");
  const attributes: FindingDraft["attributes"] = {
    missing,
    coreSourcesChecked: KEY_SOURCES.length,
    archiveDamaged: bundle.damaged,
  };
  if (notes.length) attributes.notes = notes;
  return finding(
    "bundle.missing-sources",
    missing.length * 2 > KEY_SOURCES.length ? "medium" : "low",
    `${missing.length} of ${KEY_SOURCES.length} key sources are missing: ${list(missing)}${notes.length ? ` (${notes.join("; ")})` : ""}`,
    [],
    missing.length,
    attributes,
  );
}

/** Other (non-key) empty artifacts are only worth a fact; empty IPAMD introspection is the classic one. */
function emptySourcesFinding(bundle: Bundle, keys: KeySources): FindingDraft | undefined {
  const { introspectionSkipped, byName } = bundle;
  const otherEmpty = artifactsIn(bundle, "empty").filter(
    (name) => !KEY_SOURCES.some((k) => k.any.includes(name)) && !(introspectionSkipped && INTROSPECTION.includes(name)),
  );
  if (keys.empty.length === 0 && otherEmpty.length === 0) return undefined;
  const emptyPaths = [...keys.emptyPaths, ...otherEmpty.flatMap((name) => byName.get(name)?.paths ?? [])];
  const emptyIntrospection = INTROSPECTION.filter(
    (name) => byName.get(name)?.state === "empty" && !introspectionSkipped,
  );
  return finding(
    "bundle.empty-sources",
    keys.empty.length > 0 ? "low" : "info",
    `${keys.empty.length > 0 ? `Key sources present but empty: ${list(keys.empty)}` : `Empty files: ${list(otherEmpty)}`}${emptyIntrospection.length > 0 ? " (IPAMD introspection returned nothing while the collector did not skip it)" : ""}`,
    emptyPaths.slice(0, MEMBER_SAMPLES).map((p) => makeLocator(p, undefined, undefined, "(empty file)")),
    keys.empty.length + otherEmpty.length,
    { empty: [...keys.empty, ...otherEmpty], coreEmpty: keys.empty, emptyIntrospection },
  );
}

function archiveDamagedFinding(bundle: Bundle): FindingDraft | undefined {
  const { listing, incomplete } = bundle;
  if (!bundle.damaged) return undefined;
  return finding(
    "bundle.archive-damaged",
    "medium",
    `The bundle archive is damaged: ${listing.problems[0] ?? `${incomplete.length} member(s) were cut off`}`,
    incomplete.slice(0, MEMBER_SAMPLES).map((m) => makeLocator(m.path, undefined, undefined, m.reason)),
    listing.problems.length + incomplete.length,
    { problems: listing.problems, incompleteMembers: incomplete.slice(0, MEMBERS_LISTED).map((m) => m.path) },
  );
}

function skippedMembersFinding(bundle: Bundle): FindingDraft | undefined {
  const { refused } = bundle;
  if (refused.length === 0) return undefined;
  const reasons = [...new Set(refused.map((s) => s.reason))];
  return finding(
    "bundle.skipped-members",
    "low",
    `${refused.length} member${refused.length === 1 ? " was" : "s were"} not read: ${list(reasons, 3)}`,
    refused.slice(0, MEMBER_SAMPLES).map((m) => makeLocator(m.path, undefined, undefined, m.reason)),
    refused.length,
    { members: refused.slice(0, MEMBERS_LISTED).map((m) => m.path), reasons },
  );
}

export const listBundleInventory = defineTool({
  name: "list_bundle_inventory",
  title: "Bundle inventory",
  lane: "host",
  description:
    "Lists what a node bundle holds before anything is concluded from it: which eks-log-collector artifacts are present, empty or missing, which top-level folders have files, members refused (symbolic links, unsafe names) or cut off by a damaged archive, the collector's flags (--ignore_introspection / --ignore_metrics from system/script-params.txt and the marker files), the collection time and how it was derived, the boot time. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Call it first: a missing or empty source explains a tool's no_data, and skipped introspection means empty ipamd files are expected. Next: the tool of each lane whose sources are present.",
  sources: ["scriptParams", "instanceId", "region", "availabilityZone", "introspectionIgnored", "metricsIgnored"],
  kinds: KINDS,
  input: {},
  analyze,
});
