import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import { iso } from "../src/evidence/clock.ts";
import { primaryPath, type ArtifactName } from "../src/evidence/layout.ts";
import { inventoryOf, type BundleListing } from "../src/toolkit/bundle-listing.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { humanDuration } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "bundle.inventory":
    "What the bundle holds (fact): file and byte counts, layout artifacts present / empty / missing, top-level folders, node identity files",
  "bundle.collection-time":
    "When the bundle was collected and how that was derived (archive name or newest timestamp), the boot time and uptime (fact)",
  "bundle.introspection-skipped":
    "The collector ran with --ignore_introspection and/or --ignore_metrics: missing or empty IPAMD introspection/metrics files are expected, not a sign of ipamd being down (fact)",
  "bundle.missing-sources":
    "Core sources are absent (attribute `missing`): tools that need them answer no_data and conclusions from them are unavailable; medium when most are missing",
  "bundle.empty-sources":
    "Core files are present but empty (attributes `empty`, `coreEmpty`, `emptyIntrospection`): the command behind them produced nothing (for IPAMD introspection: ipamd did not answer)",
  "bundle.archive-damaged":
    "The archive is corrupt or truncated: members after the damage, or cut off by it, are lost (attribute `problems`, `incompleteMembers`)",
  "bundle.skipped-members":
    "Members refused on purpose: symbolic links, unsafe names, devices, members that could not be extracted (attribute `members`)",
} as const;
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
  return { kind, severity, summary, evidence, count, attributes, correlateWith: CORRELATE[kind] ?? [] };
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
  ctx: AnalyzerContext,
  name: ArtifactName,
): Promise<{ path: string; text: string } | undefined> {
  const [path] = await ctx.read.paths(name);
  if (!path) return undefined;
  const size = await ctx.read.size(path);
  if (size === undefined || size > 64 * 1024) return undefined;
  const read = await ctx.read.textAt(path);
  return read.state === "ok" ? { path, text: read.text } : undefined;
}

/** Without the source's listing (see bundle-listing.ts), the artifacts the reader can resolve. */
async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const listing: BundleListing = await ctx.read.listing();
  if (listing.files.length === 0 && listing.skipped.length === 0 && listing.problems.length === 0) return [];
  const inv = inventoryOf(listing.files);
  const byName = new Map(inv.artifacts.map((a) => [a.name, a]));
  const findings: FindingDraft[] = [];

  // Small identity and flag files: reading them also marks the listing as read.
  const params = await smallText(ctx, "scriptParams");
  const identity = {
    instanceId: await smallText(ctx, "instanceId"),
    region: await smallText(ctx, "region"),
    availabilityZone: await smallText(ctx, "availabilityZone"),
  };
  if (!params && !identity.instanceId && !identity.region && !identity.availabilityZone) {
    const smallest = [...listing.files].sort((a, b) => a.size - b.size)[0];
    if (smallest) await ctx.read.textAt(smallest.path, 1 << 20);
  }
  const flags = params ? parseScriptParams(params.text) : {};
  const introspectionMarker = byName.get("introspectionIgnored")?.state !== "missing";
  const metricsMarker = byName.get("metricsIgnored")?.state !== "missing";
  const introspectionSkipped = flags.ignore_introspection === "true" || introspectionMarker;
  const metricsSkipped = flags.ignore_metrics === "true" || metricsMarker;

  const present = inv.artifacts.filter((a) => a.state === "present").map((a) => a.name);
  const empty = inv.artifacts.filter((a) => a.state === "empty").map((a) => a.name);
  const missing = inv.artifacts.filter((a) => a.state === "missing").map((a) => a.name);
  const inventoryAttributes: FindingDraft["attributes"] = {
    files: inv.totalFiles,
    bytes: inv.totalBytes,
    artifactsPresent: present,
    artifactsEmpty: empty,
    artifactsMissing: missing,
    foldersPresent: inv.foldersPresent,
    foldersWithoutFiles: inv.foldersWithoutFiles,
    unexpectedTopLevel: inv.unexpectedTopLevel,
    unclaimedFiles: inv.unclaimedFiles,
    ignoreIntrospection: introspectionSkipped,
    ignoreMetrics: metricsSkipped,
    containerLogs: byName.get("containerLogs")?.paths.length ?? 0,
  };
  const instanceId = identity.instanceId?.text.trim();
  if (instanceId) inventoryAttributes.instanceId = instanceId;
  const region = identity.region?.text.trim();
  if (region) inventoryAttributes.region = region;
  const az = identity.availabilityZone?.text.trim();
  if (az) inventoryAttributes.availabilityZone = az;
  findings.push(
    finding(
      "bundle.inventory",
      "info",
      `Bundle ${listing.name} holds ${inv.totalFiles} files (${Math.round(inv.totalBytes / 1024)} KiB): ${present.length} artifacts present, ${empty.length} empty, ${missing.length} missing`,
      [],
      inv.totalFiles,
      inventoryAttributes,
    ),
  );

  const clock = ctx.clock;
  const clockAttributes: FindingDraft["attributes"] = { collectedFrom: clock.collectedFrom, archiveName: listing.name };
  if (clock.collectedAt !== undefined) clockAttributes.collectedAt = iso(clock.collectedAt) as string;
  if (clock.bootTime !== undefined) clockAttributes.bootTime = iso(clock.bootTime) as string;
  if (clock.collectedAt !== undefined && clock.bootTime !== undefined)
    clockAttributes.uptimeHours = Math.round(((clock.collectedAt - clock.bootTime) / 3_600_000) * 10) / 10;
  if (clock.yearReference !== undefined) clockAttributes.yearReference = iso(clock.yearReference) as string;
  const how =
    clock.collectedFrom === "archive-name"
      ? "from the archive name"
      : clock.collectedFrom === "newest-timestamp"
        ? "from the newest timestamp in the bundle"
        : "unknown: nothing in the bundle is dated";
  findings.push(
    finding(
      "bundle.collection-time",
      "info",
      `Collected ${clock.collectedAt !== undefined ? iso(clock.collectedAt) : "at an unknown time"} (${how})${clock.bootTime !== undefined ? `; booted ${iso(clock.bootTime)}${clock.collectedAt !== undefined ? `, ${humanDuration(clock.collectedAt - clock.bootTime)} before` : ""}` : "; boot time unknown (no btime in system/procstat.txt)"}`,
      byName.get("procStat")?.state === "present"
        ? [makeLocator(primaryPath("procStat"), undefined, clock.bootTime, "btime")]
        : [],
      1,
      clockAttributes,
    ),
  );

  if (introspectionSkipped || metricsSkipped) {
    const evidenceList: EvidenceLocator[] = [];
    if (params)
      evidenceList.push(makeLocator(params.path, undefined, undefined, params.text.trim().split("\n").join("; ")));
    for (const marker of ["introspectionIgnored", "metricsIgnored"] as const) {
      const paths = byName.get(marker)?.paths ?? [];
      if (paths[0])
        evidenceList.push(makeLocator(paths[0], undefined, undefined, "marker file written instead of the IPAMD data"));
    }
    findings.push(
      finding(
        "bundle.introspection-skipped",
        "info",
        `The collector skipped ${[introspectionSkipped ? "IPAMD introspection" : "", metricsSkipped ? "IPAMD metrics" : ""].filter(Boolean).join(" and ")}: their absence says nothing about ipamd`,
        evidenceList,
        1,
        { introspectionSkipped, metricsSkipped },
      ),
    );
  }

  // Key sources: missing, or present but empty.
  const keyMissing: string[] = [];
  const keyEmpty: string[] = [];
  const emptyPaths: string[] = [];
  for (const key of KEY_SOURCES) {
    if (
      (key.unlessSkipped === "introspection" && introspectionSkipped) ||
      (key.unlessSkipped === "metrics" && metricsSkipped)
    )
      continue;
    const states = key.any.map((name) => byName.get(name));
    if (states.some((s) => s?.state === "present")) continue;
    if (states.some((s) => s?.state === "empty")) {
      keyEmpty.push(key.label);
      for (const s of states) if (s?.state === "empty") emptyPaths.push(...s.paths);
    } else keyMissing.push(key.label);
  }
  const damaged = listing.problems.length > 0 || listing.skipped.some((s) => s.reason.startsWith("incomplete"));
  if (keyMissing.length > 0) {
    const notes: string[] = [];
    if (keyMissing.includes("containerdLog") && keyMissing.includes("containerdConfig"))
      notes.push("the collector only gathers containerd files while a containerd process runs");
    if (keyMissing.includes("cniConflist")) notes.push("the CNI writes its conflist only once ipamd is up");
    if (damaged) notes.push("the archive is damaged, which may explain missing members");
    const attributes: FindingDraft["attributes"] = {
      missing: keyMissing,
      coreSourcesChecked: KEY_SOURCES.length,
      archiveDamaged: damaged,
    };
    if (notes.length) attributes.notes = notes;
    findings.push(
      finding(
        "bundle.missing-sources",
        keyMissing.length * 2 > KEY_SOURCES.length ? "medium" : "low",
        `${keyMissing.length} of ${KEY_SOURCES.length} key sources are missing: ${list(keyMissing)}${notes.length ? ` (${notes.join("; ")})` : ""}`,
        [],
        keyMissing.length,
        attributes,
      ),
    );
  }
  // Other (non-key) empty artifacts are only worth a fact; empty IPAMD introspection is the classic one.
  const otherEmpty = empty.filter(
    (name) => !KEY_SOURCES.some((k) => k.any.includes(name)) && !(introspectionSkipped && INTROSPECTION.includes(name)),
  );
  if (keyEmpty.length > 0 || otherEmpty.length > 0) {
    for (const name of otherEmpty) emptyPaths.push(...(byName.get(name)?.paths ?? []));
    const emptyIntrospection = INTROSPECTION.filter(
      (name) => byName.get(name)?.state === "empty" && !introspectionSkipped,
    );
    findings.push(
      finding(
        "bundle.empty-sources",
        keyEmpty.length > 0 ? "low" : "info",
        `${keyEmpty.length > 0 ? `Key sources present but empty: ${list(keyEmpty)}` : `Empty files: ${list(otherEmpty)}`}${emptyIntrospection.length > 0 ? " (IPAMD introspection returned nothing while the collector did not skip it)" : ""}`,
        emptyPaths.slice(0, 3).map((p) => makeLocator(p, undefined, undefined, "(empty file)")),
        keyEmpty.length + otherEmpty.length,
        { empty: [...keyEmpty, ...otherEmpty], coreEmpty: keyEmpty, emptyIntrospection },
      ),
    );
  }

  const incomplete = listing.skipped.filter((s) => s.reason.startsWith("incomplete"));
  if (damaged) {
    for (const problem of listing.problems) ctx.read.gap(listing.name, problem);
    for (const member of incomplete.slice(0, 20)) ctx.read.gap(member.path, member.reason);
    findings.push(
      finding(
        "bundle.archive-damaged",
        "medium",
        `The bundle archive is damaged: ${listing.problems[0] ?? `${incomplete.length} member(s) were cut off`}`,
        incomplete.slice(0, 3).map((m) => makeLocator(m.path, undefined, undefined, m.reason)),
        listing.problems.length + incomplete.length,
        { problems: listing.problems, incompleteMembers: incomplete.slice(0, 50).map((m) => m.path) },
      ),
    );
  }
  const refused = listing.skipped.filter((s) => !s.reason.startsWith("incomplete"));
  if (refused.length > 0) {
    const reasons = [...new Set(refused.map((s) => s.reason))];
    findings.push(
      finding(
        "bundle.skipped-members",
        "low",
        `${refused.length} member${refused.length === 1 ? " was" : "s were"} not read: ${list(reasons, 3)}`,
        refused.slice(0, 3).map((m) => makeLocator(m.path, undefined, undefined, m.reason)),
        refused.length,
        { members: refused.slice(0, 50).map((m) => m.path), reasons },
      ),
    );
  }
  return findings;
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
