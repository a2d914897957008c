import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { ArtifactName } from "../src/evidence/layout.ts";
import { splitLines } from "../src/evidence/lines.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "storage.disk-full":
    "A node filesystem (/, /var/lib/containerd, /var/lib/kubelet, /local …) is ≥ 95% used (high) or ≥ 85% (medium); other block filesystems one step lower; evidence for node.disk-pressure",
  "storage.inodes-exhausted":
    "A node filesystem has used ≥ 95% of its inodes (high; ≥ 85% medium); attribute bytesRemain says whether space is left (node.inode-exhaustion)",
  "storage.usage":
    "Fact per node filesystem: size, used, available, use%, inode use%, read-only; low numbers argue against disk and inode exhaustion",
  "storage.read-only-mount":
    "A root or data filesystem is mounted read-only when it should be writable (usually remounted ro after I/O errors)",
  "storage.volume-full":
    "A pod volume (PV under /var/lib/kubelet) is ≥ 95% full: the workload's own volume, not the node's disk",
  "storage.nvme-devices":
    "Fact: block devices from lsblk (names, sizes, mountpoints), to map EBS volumes to NVMe devices",
  "storage.fstab-unmounted":
    "An /etc/fstab entry is not mounted (low for data paths such as /var/lib/containerd, info otherwise)",
  "storage.pod-local-usage": "Fact: the largest container writable layers (du of overlay upperdirs) and their total",
} as const;
type Kind = keyof typeof KINDS;

/** Paths whose filesystem the node itself writes to: images, pod sandboxes, logs. */
const NODE_PATHS = ["/var/lib/containerd", "/var/lib/kubelet", "/var/log", "/"];
const DATA_MOUNTS = new Set([
  "/",
  "/var",
  "/var/lib",
  "/var/lib/containerd",
  "/var/lib/kubelet",
  "/var/lib/docker",
  "/var/log",
  "/local",
]);
const VIRTUAL_FS =
  /^(tmpfs|devtmpfs|overlay|shm|proc|sysfs|cgroup2?|devpts|mqueue|hugetlbfs|debugfs|tracefs|securityfs|pstore|bpf|configfs|fusectl|efivarfs|binfmt_misc|autofs|rpc_pipefs|nsfs|selinuxfs|ramfs|squashfs|nfs4?|fuse\..*|none)$/;
const POD_VOLUME = /^\/var\/lib\/kubelet\/(pods|plugins)\//;

interface MountEntry {
  device: string;
  mountpoint: string;
  fsType: string;
  options: string[];
  line: number;
  text: string;
}

interface DfRow {
  source: string;
  size: number;
  used: number;
  avail: number;
  usePercent: number | undefined;
  mountpoint: string;
  line: number;
  text: string;
}

interface InodeRow {
  source: string;
  inodes: number;
  used: number;
  free: number;
  usePercent: number | undefined;
  mountpoint: string;
  line: number;
  text: string;
}

const UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
  E: 1024 ** 6,
};

/** `df -h` / `du -sh` sizes (`20G`, `1.6T`, `512K`, `0`) in bytes, or NaN. */
function parseHumanSize(text: string): number {
  const m = /^(\d+(?:[.,]\d+)?)([BKMGTPE]?)i?$/.exec(text);
  if (!m) return Number.NaN;
  return Math.round(Number((m[1] as string).replace(",", ".")) * (UNITS[m[2] as string] ?? Number.NaN));
}

function percent(text: string | undefined): number | undefined {
  const m = /^(\d+)%$/.exec(text ?? "");
  return m ? Number(m[1]) : undefined;
}

function gib(bytes: number): string {
  if (!Number.isFinite(bytes)) return "?";
  if (bytes >= 1024 ** 3) return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`;
  return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
}

const MOUNT_LINE = /^(\S+) on (.+?) type (\S+) \(([^)]*)\)\s*$/;

/**
 * `mount` then `df --human-readable` (mounts.txt) or `df --inodes` (inodes.txt). df wraps a long
 * source name onto its own line on old coreutils: such a line is joined with the next.
 */
function parseDfLike(
  lines: string[],
  mode: "bytes" | "inodes",
): { mounts: MountEntry[]; rows: Array<DfRow | InodeRow> } {
  const mounts: MountEntry[] = [];
  const rows: Array<DfRow | InodeRow> = [];
  let inTable = false;
  let pending: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const mount = MOUNT_LINE.exec(text);
    if (mount) {
      mounts.push({
        device: mount[1] as string,
        mountpoint: mount[2] as string,
        fsType: mount[3] as string,
        options: (mount[4] as string).split(","),
        line: i + 1,
        text,
      });
      continue;
    }
    if (/^Filesystem\s+(Size|1K-blocks|Inodes)\b/.test(text)) {
      inTable = true;
      continue;
    }
    if (!inTable || text.trim() === "") continue;
    let fields = text.trim().split(/\s+/);
    let lineNo = i + 1;
    let rowText = text;
    if (fields.length === 1 && !pending) {
      pending = { text: fields[0] as string, line: i + 1 };
      continue;
    }
    if (pending) {
      fields = [pending.text, ...fields];
      lineNo = pending.line;
      rowText = `${pending.text} ${text.trim()}`;
      pending = undefined;
    }
    if (fields.length < 6) continue;
    const [source, a, b, c, p] = fields as [string, string, string, string, string];
    const mountpoint = fields.slice(5).join(" ");
    if (!mountpoint.startsWith("/")) continue;
    if (mode === "bytes") {
      const size = parseHumanSize(a);
      if (Number.isNaN(size)) continue;
      rows.push({
        source,
        size,
        used: parseHumanSize(b),
        avail: parseHumanSize(c),
        usePercent: percent(p),
        mountpoint,
        line: lineNo,
        text: rowText,
      });
    } else {
      const inodes = Number(a);
      if (!/^\d+$/.test(a)) continue;
      rows.push({
        source,
        inodes,
        used: Number(b),
        free: Number(c),
        usePercent: percent(p),
        mountpoint,
        line: lineNo,
        text: rowText,
      });
    }
  }
  return { mounts, rows };
}

function isNodeFilesystem(source: string, mountpoint: string, fsType: string | undefined): boolean {
  if (
    POD_VOLUME.test(mountpoint) ||
    mountpoint.startsWith("/snap/") ||
    mountpoint.startsWith("/run/") ||
    mountpoint.startsWith("/sys/") ||
    mountpoint.startsWith("/proc") ||
    mountpoint.startsWith("/dev")
  )
    return false;
  if (fsType && VIRTUAL_FS.test(fsType)) return false;
  if (/^\/dev\/loop/.test(source)) return false;
  return source.startsWith("/dev/") || /^(\/dev\/root|UUID=)/.test(source);
}

/** The mountpoint of the filesystem that holds `path` (longest prefix among candidates). */
function holderOf(path: string, mountpoints: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const mp of mountpoints) {
    const prefix = mp === "/" ? "/" : `${mp}/`;
    if ((path === mp || path.startsWith(prefix)) && (best === undefined || mp.length > best.length)) best = mp;
  }
  return best;
}

interface Thresholds {
  high: number;
  medium: number;
}

function levelFor(use: number, dataPath: boolean, t: Thresholds, evictionAt: number | undefined): Severity | undefined {
  if (dataPath) {
    if (use >= t.high) return "high";
    if (use >= t.medium || (evictionAt !== undefined && use >= evictionAt)) return "medium";
    return undefined;
  }
  if (use >= t.high) return "medium";
  if (use >= t.medium) return "low";
  return undefined;
}

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "storage.disk-full": ["read_kubelet_journal", "read_containerd_log", "read_kubelet_config"],
  "storage.inodes-exhausted": ["read_kubelet_journal", "read_containerd_log"],
  "storage.read-only-mount": ["read_dmesg"],
  "storage.volume-full": ["read_csi_logs"],
  "storage.nvme-devices": ["read_csi_logs"],
  "storage.fstab-unmounted": ["read_bootstrap_logs", "read_dmesg"],
};

function finding(
  kind: Kind,
  severity: Severity,
  summary: string,
  evidence: EvidenceLocator[],
  attributes: FindingDraft["attributes"],
  count = 1,
): FindingDraft {
  return { kind, severity, summary, evidence, count, attributes, correlateWith: CORRELATE[kind] ?? [] };
}

async function readLines(
  ctx: AnalyzerContext,
  name: ArtifactName,
  emptyIsGap: boolean,
): Promise<{ path: string; lines: string[] } | undefined> {
  const read = await ctx.read.text(name);
  if (read.state !== "ok") return undefined;
  if (read.text.trim() === "") {
    if (emptyIsGap) ctx.read.gap(read.path, "file is empty");
    return emptyIsGap ? undefined : { path: read.path, lines: [] };
  }
  return { path: read.path, lines: splitLines(read.text) };
}

interface Input {
  evictionHard?: string[] | undefined;
}

interface Threshold {
  percent?: number;
  bytes?: number;
}

/** `nodefs.available<10%` / `nodefs.available<1Gi` / `nodefs.inodesFree<5%` from the kubelet's evictionHard. */
function evictionThreshold(entries: readonly string[] | undefined, signal: string): Threshold | undefined {
  for (const entry of entries ?? []) {
    const m = new RegExp(`^\\s*${signal.replace(".", "\\.")}\\s*[<=:]\\s*([\\d.]+)\\s*(%|[KMGTPE]i?)?\\s*$`).exec(
      entry,
    );
    if (!m) continue;
    const n = Number(m[1]);
    if (!Number.isFinite(n)) continue;
    if (m[2] === "%") return { percent: n };
    const unit = (m[2] ?? "").replace("i", "");
    const factor = m[2]?.endsWith("i")
      ? (UNITS[unit] ?? 1)
      : 1000 ** (["", "K", "M", "G", "T", "P", "E"].indexOf(unit) || 0);
    return { bytes: n * factor };
  }
  return undefined;
}

async function analyze(ctx: AnalyzerContext, input: Input): Promise<FindingDraft[]> {
  const findings: FindingDraft[] = [];
  const mountsFile = await readLines(ctx, "mounts", true);
  const inodesFile = await readLines(ctx, "inodes", true);
  const lsblkFile = await readLines(ctx, "lsblk", true);
  // Bottlerocket has no /etc/fstab worth the name and `du` prints nothing when every layer is empty.
  const fstabFile = await readLines(ctx, "fstab", false);
  const podLocalFile = await readLines(ctx, "podLocalStorage", false);

  const mounts = new Map<string, MountEntry>();
  const df: DfRow[] = [];
  if (mountsFile) {
    const parsed = parseDfLike(mountsFile.lines, "bytes");
    if (parsed.mounts.length === 0 && parsed.rows.length === 0)
      ctx.read.gap(mountsFile.path, "no mount or df lines found");
    for (const m of parsed.mounts) mounts.set(m.mountpoint, m);
    df.push(...(parsed.rows as DfRow[]));
  }
  const inodes: InodeRow[] = [];
  if (inodesFile) {
    const parsed = parseDfLike(inodesFile.lines, "inodes");
    if (parsed.rows.length === 0) ctx.read.gap(inodesFile.path, "no df --inodes rows found");
    inodes.push(...(parsed.rows as InodeRow[]));
  }

  const fsTypeOf = (mp: string) => mounts.get(mp)?.fsType;
  const nodeRows = df.filter((r) => isNodeFilesystem(r.source, r.mountpoint, fsTypeOf(r.mountpoint)));
  const nodeInodeRows = inodes.filter((r) => isNodeFilesystem(r.source, r.mountpoint, fsTypeOf(r.mountpoint)));
  const candidateMounts = [
    ...new Set([
      ...nodeRows.map((r) => r.mountpoint),
      ...nodeInodeRows.map((r) => r.mountpoint),
      ...[...mounts.values()]
        .filter((m) => isNodeFilesystem(m.device, m.mountpoint, m.fsType))
        .map((m) => m.mountpoint),
    ]),
  ];
  const dataMounts = new Set<string>();
  for (const path of NODE_PATHS) {
    const holder = holderOf(path, candidateMounts);
    if (holder) dataMounts.add(holder);
  }
  for (const mp of candidateMounts) if (DATA_MOUNTS.has(mp)) dataMounts.add(mp);
  const holds = (mp: string) => NODE_PATHS.filter((p) => holderOf(p, candidateMounts) === mp);
  const inodeByMount = new Map(nodeInodeRows.map((r) => [r.mountpoint, r]));
  const dfByMount = new Map(nodeRows.map((r) => [r.mountpoint, r]));
  const nodefs = evictionThreshold(input.evictionHard, "nodefs.available");
  const inodesFree = evictionThreshold(input.evictionHard, "nodefs.inodesFree");
  /** The use% at which the kubelet starts evicting, for a filesystem of `size` bytes. */
  const evictionUse = (t: Threshold | undefined, size: number) =>
    t?.percent !== undefined
      ? 100 - t.percent
      : t?.bytes !== undefined && size > 0
        ? 100 - (t.bytes / size) * 100
        : undefined;
  const inodeEvictionAt = inodesFree?.percent !== undefined ? 100 - inodesFree.percent : undefined;

  // Bind mounts show one device several times: judge each device once, naming all its mountpoints.
  const byDevice = new Map<string, DfRow[]>();
  for (const row of nodeRows) byDevice.set(row.source, [...(byDevice.get(row.source) ?? []), row]);
  for (const [device, rows] of byDevice) {
    const row = rows.reduce((a, b) => ((b.usePercent ?? 0) > (a.usePercent ?? 0) ? b : a));
    if (row.usePercent === undefined || !mountsFile) continue;
    const mountpoints = rows.map((r) => r.mountpoint);
    const data = mountpoints.some((mp) => dataMounts.has(mp));
    const evictionAt = data ? evictionUse(nodefs, row.size) : undefined;
    const severity = levelFor(row.usePercent, data, { high: 95, medium: 85 }, evictionAt);
    if (!severity) continue;
    const inode = inodeByMount.get(row.mountpoint);
    const attributes: FindingDraft["attributes"] = {
      mountpoint: row.mountpoint,
      mountpoints,
      device,
      usePercent: row.usePercent,
      sizeBytes: row.size,
      availBytes: row.avail,
      nodeDataFilesystem: data,
      holds: mountpoints.flatMap(holds),
    };
    if (inode?.usePercent !== undefined) attributes.inodeUsePercent = inode.usePercent;
    if (evictionAt !== undefined) attributes.pastEvictionThreshold = row.usePercent >= evictionAt;
    const what = data ? `node filesystem ${row.mountpoint}` : `filesystem ${row.mountpoint}`;
    findings.push(
      finding(
        "storage.disk-full",
        severity,
        `The ${what} (${device}) is ${row.usePercent}% full: ${gib(row.avail)} left of ${gib(row.size)}`,
        [makeLocator(mountsFile.path, row.line, undefined, row.text)],
        attributes,
      ),
    );
  }

  if (inodesFile) {
    for (const row of nodeInodeRows) {
      if (row.usePercent === undefined) continue;
      const data = dataMounts.has(row.mountpoint);
      const severity = levelFor(row.usePercent, data, { high: 95, medium: 85 }, inodeEvictionAt);
      if (!severity) continue;
      const bytes = dfByMount.get(row.mountpoint);
      const bytesRemain = bytes?.usePercent !== undefined ? bytes.usePercent < 90 : undefined;
      const attributes: FindingDraft["attributes"] = {
        mountpoint: row.mountpoint,
        device: row.source,
        inodeUsePercent: row.usePercent,
        inodesFree: row.free,
        inodes: row.inodes,
        nodeDataFilesystem: data,
      };
      if (bytesRemain !== undefined) attributes.bytesRemain = bytesRemain;
      if (bytes?.usePercent !== undefined) attributes.usePercent = bytes.usePercent;
      const evidence = [makeLocator(inodesFile.path, row.line, undefined, row.text)];
      if (bytes && mountsFile) evidence.push(makeLocator(mountsFile.path, bytes.line, undefined, bytes.text));
      findings.push(
        finding(
          "storage.inodes-exhausted",
          severity,
          `${row.mountpoint} has used ${row.usePercent}% of its inodes (${row.free} free)${bytesRemain ? ` while ${bytes?.usePercent}% of its bytes are used` : ""}`,
          evidence,
          attributes,
        ),
      );
    }
  }

  // Pod volumes: the workload filled its own PV, not the node.
  if (mountsFile) {
    for (const row of df) {
      if (!POD_VOLUME.test(row.mountpoint) || !row.source.startsWith("/dev/") || (row.usePercent ?? 0) < 95) continue;
      const pvc = /\/(pvc-[0-9a-f-]+)\//.exec(row.mountpoint)?.[1];
      const attributes: FindingDraft["attributes"] = {
        mountpoint: row.mountpoint,
        device: row.source,
        usePercent: row.usePercent ?? 0,
      };
      if (pvc) attributes.volume = pvc;
      findings.push(
        finding(
          "storage.volume-full",
          "low",
          `Pod volume ${pvc ?? row.mountpoint} (${row.source}) is ${row.usePercent}% full`,
          [makeLocator(mountsFile.path, row.line, undefined, row.text)],
          attributes,
        ),
      );
    }
  }

  // Read-only root or data filesystems. Bottlerocket's root is a read-only dm-verity image by design.
  const bottlerocketRoot = (m: MountEntry) =>
    m.mountpoint === "/" &&
    (/^\/dev\/(dm-\d+|mapper\/root)$/.test(m.device) || m.fsType === "erofs") &&
    mounts.has("/local");
  if (mountsFile) {
    for (const m of mounts.values()) {
      if (!m.options.includes("ro") || !isNodeFilesystem(m.device, m.mountpoint, m.fsType)) continue;
      if (!DATA_MOUNTS.has(m.mountpoint) && !dataMounts.has(m.mountpoint)) continue;
      if (bottlerocketRoot(m)) continue;
      findings.push(
        finding(
          "storage.read-only-mount",
          "high",
          `${m.mountpoint} (${m.device}, ${m.fsType}) is mounted read-only: the node cannot write images, logs or pod data there`,
          [makeLocator(mountsFile.path, m.line, undefined, m.text)],
          { mountpoint: m.mountpoint, device: m.device, fsType: m.fsType },
        ),
      );
    }
  }

  // One fact per node filesystem: the numbers that argue for or against exhaustion.
  if (mountsFile) {
    for (const row of nodeRows) {
      const inode = inodeByMount.get(row.mountpoint);
      const mount = mounts.get(row.mountpoint);
      const attributes: FindingDraft["attributes"] = {
        mountpoint: row.mountpoint,
        device: row.source,
        sizeBytes: row.size,
        usedBytes: row.used,
        availBytes: row.avail,
        nodeDataFilesystem: dataMounts.has(row.mountpoint),
        readOnly: mount?.options.includes("ro") ?? false,
      };
      if (row.usePercent !== undefined) attributes.usePercent = row.usePercent;
      if (inode?.usePercent !== undefined) attributes.inodeUsePercent = inode.usePercent;
      if (mount) attributes.fsType = mount.fsType;
      const evidence = [makeLocator(mountsFile.path, row.line, undefined, row.text)];
      if (inode && inodesFile) evidence.push(makeLocator(inodesFile.path, inode.line, undefined, inode.text));
      findings.push(
        finding(
          "storage.usage",
          "info",
          `${row.mountpoint} (${row.source}): ${row.usePercent ?? "?"}% of ${gib(row.size)} used${inode?.usePercent !== undefined ? `, ${inode.usePercent}% of inodes` : ""}`,
          evidence,
          attributes,
        ),
      );
    }
  }

  if (lsblkFile) {
    const devices = parseLsblk(lsblkFile.lines);
    if (devices.length === 0) ctx.read.gap(lsblkFile.path, "no lsblk device rows found");
    else findings.push(lsblkFact(lsblkFile.path, devices));
  }

  if (fstabFile && mountsFile) findings.push(...fstabFindings(fstabFile.path, fstabFile.lines, mounts));

  if (podLocalFile && podLocalFile.lines.length > 0) {
    const fact = podLocalFact(podLocalFile.path, podLocalFile.lines);
    if (fact) findings.push(fact);
    else ctx.read.gap(podLocalFile.path, "no du size lines found");
  }
  return findings;
}

interface BlockDevice {
  name: string;
  size: string;
  readOnly: boolean;
  type: string;
  mountpoints: string[];
  line: number;
  text: string;
}

/** `lsblk` with its tree drawn in UTF-8 (`├─`) or, under LANG=C, ASCII (`|-`, `` `- ``). */
function parseLsblk(lines: string[]): BlockDevice[] {
  const devices: BlockDevice[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    if (/^NAME\s+MAJ:MIN/.test(text)) continue;
    const cleaned = text.replace(/^[\s│├└─|`-]+/u, "");
    const fields = cleaned.trim().split(/\s+/);
    if (fields.length >= 6 && /^\d+:\d+$/.test(fields[1] ?? "")) {
      const mount = fields.slice(6).join(" ");
      devices.push({
        name: fields[0] as string,
        size: fields[3] as string,
        readOnly: fields[4] === "1",
        type: fields[5] as string,
        mountpoints: mount ? [mount] : [],
        line: i + 1,
        text,
      });
    } else if (devices.length > 0 && /^\/\S*$/.test(text.trim())) {
      devices[devices.length - 1]?.mountpoints.push(text.trim());
    }
  }
  return devices;
}

function lsblkFact(path: string, devices: BlockDevice[]): FindingDraft {
  const disks = devices.filter((d) => d.type === "disk");
  const podVolumes = devices.filter((d) => d.mountpoints.some((mp) => POD_VOLUME.test(mp)));
  const nodeMounts = devices.flatMap((d) =>
    d.mountpoints.filter((mp) => !POD_VOLUME.test(mp)).map((mp) => `${d.name} ${mp}`),
  );
  const attributes: FindingDraft["attributes"] = {
    disks: disks.map((d) => `${d.name} ${d.size}`),
    nvmeDisks: disks.filter((d) => d.name.startsWith("nvme")).length,
    nodeMounts,
    podVolumeDevices: podVolumes.map((d) => d.name),
    readOnlyDevices: devices.filter((d) => d.readOnly && d.type !== "rom").map((d) => d.name),
  };
  const evidence = disks.slice(0, 3).map((d) => makeLocator(path, d.line, undefined, d.text));
  return finding(
    "storage.nvme-devices",
    "info",
    `${disks.length} block disk${disks.length === 1 ? "" : "s"} (${disks.map((d) => `${d.name} ${d.size}`).join(", ")}); ${podVolumes.length} mounted as pod volumes`,
    evidence,
    attributes,
    devices.length,
  );
}

const FSTAB_IGNORED_TYPES = /^(swap|proc|sysfs|tmpfs|devpts|none)$/;

function fstabFindings(path: string, lines: string[], mounts: Map<string, MountEntry>): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === "" || text.startsWith("#")) continue;
    const [spec, file, type, opts = "defaults"] = text.split(/\s+/);
    if (!spec || !file || !type || !file.startsWith("/") || FSTAB_IGNORED_TYPES.test(type)) continue;
    if (opts.split(",").includes("noauto") || mounts.has(file)) continue;
    const data = DATA_MOUNTS.has(file) || NODE_PATHS.some((p) => p !== "/" && (p === file || p.startsWith(`${file}/`)));
    out.push(
      finding(
        "storage.fstab-unmounted",
        data ? "low" : "info",
        `/etc/fstab mounts ${file} (${type}) but it is not mounted${data ? ": the node writes that data to the filesystem below instead" : ""}`,
        [makeLocator(path, i + 1, undefined, text)],
        { mountpoint: file, fsType: type, nodeDataPath: data, nofail: opts.split(",").includes("nofail") },
      ),
    );
  }
  return out;
}

function podLocalFact(path: string, lines: string[]): FindingDraft | undefined {
  const entries: Array<{ bytes: number; size: string; where: string; line: number; text: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const m = /^(\d+(?:[.,]\d+)?[KMGTPE]?)\s+(\/\S.*)$/.exec(text.trim());
    if (!m) continue;
    const bytes = parseHumanSize(m[1] as string);
    if (!Number.isNaN(bytes)) entries.push({ bytes, size: m[1] as string, where: m[2] as string, line: i + 1, text });
  }
  if (entries.length === 0) return undefined;
  entries.sort((a, b) => b.bytes - a.bytes);
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const top = entries.slice(0, 5);
  return finding(
    "storage.pod-local-usage",
    "info",
    `${entries.length} container writable layers hold ${gib(total)}; the largest is ${top[0]?.size}`,
    top.slice(0, 3).map((e) => makeLocator(path, e.line, undefined, e.text)),
    {
      layers: entries.length,
      totalBytes: total,
      largestBytes: top[0]?.bytes ?? 0,
      largest: top.map((e) => `${e.size} ${e.where}`),
    },
    entries.length,
  );
}

export const inspectStorage = defineTool({
  name: "inspect_storage",
  title: "Node storage",
  lane: "host",
  description:
    "Inspects the node's storage snapshot from the bundle (storage/mounts.txt: mount + df -h; inodes.txt: df --inodes; lsblk.txt; fstab.txt; pod_local_storage.txt) and reports full node filesystems (/, /var/lib/containerd, /var/lib/kubelet, /local), inode exhaustion with or without free bytes, root or data filesystems mounted read-only, full pod volumes (the workload's own PV), fstab entries that are not mounted; and facts: usage per node filesystem, block devices for EBS/NVMe mapping, the largest container writable layers. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Pass evictionHard (read_kubelet_config's kubelet-config.settings attribute) to flag node filesystems past the kubelet's eviction thresholds. ` +
    "Next: read_kubelet_journal (DiskPressure, image GC), read_containerd_log, read_dmesg for I/O errors behind a read-only remount, read_csi_logs for volumes.",
  sources: ["mounts", "inodes", "lsblk", "fstab", "podLocalStorage"],
  kinds: KINDS,
  input: {
    evictionHard: z
      .array(z.string().max(200))
      .max(50)
      .optional()
      .describe(
        'The kubelet\'s hard eviction thresholds as read_kubelet_config reports them (finding kubelet-config.settings, attribute evictionHard, e.g. ["nodefs.available<10%", "nodefs.inodesFree<5%"]); node filesystems past nodefs.available / nodefs.inodesFree are flagged',
      ),
  },
  analyze,
});
