import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { ArtifactName } from "../src/evidence/layout.ts";
import { splitLines } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const mountpointAttr = attr.text("Where the filesystem is mounted");
const deviceAttr = attr.text("Source device of the filesystem, as df or mount names it (/dev/nvme0n1p1 …)");
const usePercentAttr = attr.percent("Share of the filesystem's bytes used, as df reports it");
const inodeUsePercentAttr = attr.percent("Share of the filesystem's inodes used, as df --inodes reports it");
const nodeDataFilesystemAttr = attr.flag(
  "True when the filesystem holds what the node writes (/, /var/lib/containerd, /var/lib/kubelet, /var/log, /local …)",
);
const fsTypeAttr = attr.text("Filesystem type (xfs, ext4 …)");

const KINDS = {
  "storage.disk-full": kind(
    "A node filesystem (/, /var/lib/containerd, /var/lib/kubelet, /local …) is ≥ 95% used (high) or ≥ 85% (medium); other block filesystems one step lower; evidence for node.disk-pressure",
    {
      mountpoint: attr.text("Mountpoint of the fullest row for the device"),
      mountpoints: attr.texts("Every mountpoint of the device (bind mounts show one device several times)"),
      device: deviceAttr,
      usePercent: usePercentAttr,
      sizeBytes: attr.bytes("Filesystem size from df -h"),
      availBytes: attr.bytes("Space still available from df -h"),
      nodeDataFilesystem: nodeDataFilesystemAttr,
      holds: attr.texts(
        "Node paths whose data lives on this filesystem, of /var/lib/containerd, /var/lib/kubelet, /var/log, /",
      ),
      inodeUsePercent: inodeUsePercentAttr,
      pastEvictionThreshold: attr.flag(
        "True when use has reached the kubelet's nodefs.available hard eviction threshold (only with evictionHard input)",
      ),
    },
  ),
  "storage.inodes-exhausted": kind(
    "A node filesystem has used ≥ 95% of its inodes (high; ≥ 85% medium); attribute bytesRemain says whether space is left (node.inode-exhaustion)",
    {
      mountpoint: mountpointAttr,
      device: deviceAttr,
      inodeUsePercent: inodeUsePercentAttr,
      inodesFree: attr.count("Free inodes (inodes)"),
      inodes: attr.count("Total inodes of the filesystem (inodes)"),
      nodeDataFilesystem: nodeDataFilesystemAttr,
      bytesRemain: attr.flag(
        "True when under 90% of the filesystem's bytes are used: the inodes ran out, not the space",
      ),
      usePercent: usePercentAttr,
    },
  ),
  "storage.usage": kind(
    "Fact per node filesystem: size, used, available, use%, inode use%, read-only; low numbers argue against disk and inode exhaustion",
    {
      mountpoint: mountpointAttr,
      device: deviceAttr,
      sizeBytes: attr.bytes("Filesystem size from df -h"),
      usedBytes: attr.bytes("Space used from df -h"),
      availBytes: attr.bytes("Space still available from df -h"),
      nodeDataFilesystem: nodeDataFilesystemAttr,
      readOnly: attr.flag("True when the filesystem is mounted read-only (ro)"),
      usePercent: usePercentAttr,
      inodeUsePercent: inodeUsePercentAttr,
      fsType: fsTypeAttr,
    },
  ),
  "storage.read-only-mount": kind(
    "A root or data filesystem is mounted read-only when it should be writable (usually remounted ro after I/O errors)",
    {
      mountpoint: mountpointAttr,
      device: attr.text("Device mounted read-only, as mount names it"),
      fsType: fsTypeAttr,
    },
  ),
  "storage.volume-full": kind(
    "A pod volume (PV under /var/lib/kubelet) is ≥ 95% full: the workload's own volume, not the node's disk",
    {
      mountpoint: attr.text("Where the pod volume is mounted, under /var/lib/kubelet"),
      device: deviceAttr,
      usePercent: usePercentAttr,
      volume: attr.text("PersistentVolume name (pvc-…) from the mountpoint"),
    },
  ),
  "storage.nvme-devices": kind(
    "Fact: block devices from lsblk (names, sizes, mountpoints), to map EBS volumes to NVMe devices",
    {
      disks: attr.texts("Whole disks as `name size` (size as lsblk prints it, e.g. `nvme0n1 80G`)"),
      nvmeDisks: attr.count("Whole disks that are NVMe devices (disks)"),
      nodeMounts: attr.texts("Devices mounted outside pod volumes as `name mountpoint`"),
      podVolumeDevices: attr.texts("Devices mounted as pod volumes under /var/lib/kubelet"),
      readOnlyDevices: attr.texts("Devices lsblk marks read-only (RO 1), CD-ROMs excepted"),
    },
  ),
  "storage.fstab-unmounted": kind(
    "An /etc/fstab entry is not mounted (low for data paths such as /var/lib/containerd, info otherwise)",
    {
      mountpoint: attr.text("Mountpoint the fstab entry names"),
      fsType: attr.text("Filesystem type the fstab entry names"),
      nodeDataPath: attr.flag("True when the mountpoint is or holds a path the node writes (/var/lib/containerd …)"),
      nofail: attr.flag("True when the entry has the nofail option"),
    },
  ),
  "storage.pod-local-usage": kind(
    "Fact: the largest container writable layers (du of overlay upperdirs) and their total",
    {
      layers: attr.count("Container writable layers measured (layers)"),
      totalBytes: attr.bytes("Total size of the writable layers"),
      largestBytes: attr.bytes("Size of the largest writable layer"),
      largest: attr.texts("Up to 5 largest layers as `size path` (size as du prints it, e.g. `1.2G`), largest first"),
    },
  ),
};
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
/** Use% (bytes or inodes) at which a node filesystem is full: 85 is where the kubelet's image GC starts by default. */
const FULL: Thresholds = { high: 95, medium: 85 };
/** Under this byte use% an inode-exhausted filesystem still has space: the inodes, not the bytes, ran out. */
const BYTES_REMAIN_BELOW = 90;
/** A pod volume this full is reported: the workload is about to fail its writes. */
const VOLUME_FULL = 95;
/** Container layers named in the pod-local fact, and how many of them are quoted as evidence. */
const LARGEST_LAYERS = 5;
const LAYER_SAMPLES = 3;
/** Disks quoted as evidence in the lsblk fact. */
const DISK_SAMPLES = 3;

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
  return draft({ kind, severity, summary, evidence, count, attributes, correlateWith: CORRELATE[kind] });
}

function locate(path: string, row: { line: number; text: string }): EvidenceLocator {
  return makeLocator(path, row.line, undefined, row.text);
}

async function readLines(
  read: EvidenceReader,
  name: ArtifactName,
  emptyIsGap: boolean,
): Promise<{ path: string; lines: string[] } | undefined> {
  const file = await read.text(name);
  if (file.state !== "ok") return undefined;
  if (file.text.trim() === "") {
    if (emptyIsGap) read.gap(file.path, "file is empty");
    return emptyIsGap ? undefined : { path: file.path, lines: [] };
  }
  return { path: file.path, lines: splitLines(file.text) };
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

/** The storage snapshot, parsed; a file that is absent, empty or holds nothing parsable is undefined. */
interface Storage {
  /** mounts.txt (`mount` then `df -h`); present whenever the file has text, even if nothing parsed. */
  mounts: { path: string; entries: Map<string, MountEntry>; df: DfRow[] } | undefined;
  inodes: { path: string; rows: InodeRow[] } | undefined;
  lsblk: { path: string; devices: BlockDevice[] } | undefined;
  fstab: { path: string; entries: FstabEntry[] } | undefined;
  podLocal: { path: string; layers: Layer[] } | undefined;
}

async function readStorage(read: EvidenceReader): Promise<Storage> {
  const mountsFile = await readLines(read, "mounts", true);
  const inodesFile = await readLines(read, "inodes", true);
  const lsblkFile = await readLines(read, "lsblk", true);
  // Bottlerocket has no /etc/fstab worth the name and `du` prints nothing when every layer is empty.
  const fstabFile = await readLines(read, "fstab", false);
  const podLocalFile = await readLines(read, "podLocalStorage", false);
  const storage: Storage = {
    mounts: undefined,
    inodes: undefined,
    lsblk: undefined,
    fstab: undefined,
    podLocal: undefined,
  };

  if (mountsFile) {
    const parsed = parseDfLike(mountsFile.lines, "bytes");
    if (parsed.mounts.length === 0 && parsed.rows.length === 0) read.gap(mountsFile.path, "no mount or df lines found");
    const entries = new Map(parsed.mounts.map((m) => [m.mountpoint, m]));
    storage.mounts = { path: mountsFile.path, entries, df: parsed.rows as DfRow[] };
  }
  if (inodesFile) {
    const parsed = parseDfLike(inodesFile.lines, "inodes");
    if (parsed.rows.length === 0) read.gap(inodesFile.path, "no df --inodes rows found");
    storage.inodes = { path: inodesFile.path, rows: parsed.rows as InodeRow[] };
  }
  if (lsblkFile) {
    const devices = parseLsblk(lsblkFile.lines);
    if (devices.length === 0) read.gap(lsblkFile.path, "no lsblk device rows found");
    else storage.lsblk = { path: lsblkFile.path, devices };
  }
  if (fstabFile) storage.fstab = { path: fstabFile.path, entries: parseFstab(fstabFile.lines) };
  if (podLocalFile && podLocalFile.lines.length > 0) {
    const layers = parseDu(podLocalFile.lines);
    if (layers.length === 0) read.gap(podLocalFile.path, "no du size lines found");
    else storage.podLocal = { path: podLocalFile.path, layers };
  }
  return storage;
}

/** Which filesystems are the node's own, and which of those hold what the node writes. */
interface Layout {
  nodeRows: DfRow[];
  nodeInodeRows: InodeRow[];
  /** Mountpoints of node filesystems, the candidates for holding NODE_PATHS. */
  candidates: string[];
  dataMounts: Set<string>;
  dfByMount: Map<string, DfRow>;
  inodeByMount: Map<string, InodeRow>;
}

function layoutOf(storage: Storage): Layout {
  const mounts = storage.mounts?.entries ?? new Map<string, MountEntry>();
  const fsTypeOf = (mp: string) => mounts.get(mp)?.fsType;
  const nodeRows = (storage.mounts?.df ?? []).filter((r) =>
    isNodeFilesystem(r.source, r.mountpoint, fsTypeOf(r.mountpoint)),
  );
  const nodeInodeRows = (storage.inodes?.rows ?? []).filter((r) =>
    isNodeFilesystem(r.source, r.mountpoint, fsTypeOf(r.mountpoint)),
  );
  const candidates = [
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
    const holder = holderOf(path, candidates);
    if (holder) dataMounts.add(holder);
  }
  for (const mp of candidates) if (DATA_MOUNTS.has(mp)) dataMounts.add(mp);
  return {
    nodeRows,
    nodeInodeRows,
    candidates,
    dataMounts,
    dfByMount: new Map(nodeRows.map((r) => [r.mountpoint, r])),
    inodeByMount: new Map(nodeInodeRows.map((r) => [r.mountpoint, r])),
  };
}

/** The node paths (NODE_PATHS) whose data lives on the filesystem mounted at `mp`. */
function holds(layout: Layout, mp: string): string[] {
  return NODE_PATHS.filter((p) => holderOf(p, layout.candidates) === mp);
}

/** The use% at which the kubelet starts evicting, for a filesystem of `size` bytes. */
function evictionUse(t: Threshold | undefined, size: number): number | undefined {
  if (t?.percent !== undefined) return 100 - t.percent;
  if (t?.bytes !== undefined && size > 0) return 100 - (t.bytes / size) * 100;
  return undefined;
}

async function analyze(ctx: AnalyzerContext, input: Input): Promise<FindingDraft[]> {
  const storage = await readStorage(ctx.read);
  const layout = layoutOf(storage);
  const nodefs = evictionThreshold(input.evictionHard, "nodefs.available");
  const inodesFree = evictionThreshold(input.evictionHard, "nodefs.inodesFree");
  const { mounts, lsblk, fstab, podLocal } = storage;
  return [
    ...diskFullFindings(storage, layout, nodefs),
    ...inodeFindings(storage, layout, inodesFree),
    ...volumeFullFindings(storage),
    ...readOnlyFindings(storage, layout),
    ...usageFacts(storage, layout),
    ...(lsblk ? [lsblkFact(lsblk.path, lsblk.devices)] : []),
    ...(fstab && mounts ? fstabFindings(fstab.path, fstab.entries, mounts.entries) : []),
    ...(podLocal ? [podLocalFact(podLocal.path, podLocal.layers)] : []),
  ];
}

function diskFullFindings(storage: Storage, layout: Layout, nodefs: Threshold | undefined): FindingDraft[] {
  const { mounts } = storage;
  if (!mounts) return [];
  const findings: FindingDraft[] = [];
  // Bind mounts show one device several times: judge each device once, naming all its mountpoints.
  const byDevice = new Map<string, DfRow[]>();
  for (const row of layout.nodeRows) byDevice.set(row.source, [...(byDevice.get(row.source) ?? []), row]);
  for (const [device, rows] of byDevice) {
    const row = rows.reduce((a, b) => ((b.usePercent ?? 0) > (a.usePercent ?? 0) ? b : a));
    if (row.usePercent === undefined) continue;
    const mountpoints = rows.map((r) => r.mountpoint);
    const data = mountpoints.some((mp) => layout.dataMounts.has(mp));
    const evictionAt = data ? evictionUse(nodefs, row.size) : undefined;
    const severity = levelFor(row.usePercent, data, FULL, evictionAt);
    if (!severity) continue;
    const inode = layout.inodeByMount.get(row.mountpoint);
    const attributes: FindingDraft["attributes"] = {
      mountpoint: row.mountpoint,
      mountpoints,
      device,
      usePercent: row.usePercent,
      sizeBytes: row.size,
      availBytes: row.avail,
      nodeDataFilesystem: data,
      holds: mountpoints.flatMap((mp) => holds(layout, mp)),
    };
    if (inode?.usePercent !== undefined) attributes.inodeUsePercent = inode.usePercent;
    if (evictionAt !== undefined) attributes.pastEvictionThreshold = row.usePercent >= evictionAt;
    const what = data ? `node filesystem ${row.mountpoint}` : `filesystem ${row.mountpoint}`;
    findings.push(
      finding(
        "storage.disk-full",
        severity,
        `The ${what} (${device}) is ${row.usePercent}% full: ${gib(row.avail)} left of ${gib(row.size)}`,
        [locate(mounts.path, row)],
        attributes,
      ),
    );
  }
  return findings;
}

function inodeFindings(storage: Storage, layout: Layout, inodesFree: Threshold | undefined): FindingDraft[] {
  const { inodes, mounts } = storage;
  if (!inodes) return [];
  const evictionAt = inodesFree?.percent !== undefined ? 100 - inodesFree.percent : undefined;
  const findings: FindingDraft[] = [];
  for (const row of layout.nodeInodeRows) {
    if (row.usePercent === undefined) continue;
    const data = layout.dataMounts.has(row.mountpoint);
    const severity = levelFor(row.usePercent, data, FULL, evictionAt);
    if (!severity) continue;
    const bytes = layout.dfByMount.get(row.mountpoint);
    const bytesRemain = bytes?.usePercent !== undefined ? bytes.usePercent < BYTES_REMAIN_BELOW : undefined;
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
    const evidence = [locate(inodes.path, row)];
    if (bytes && mounts) evidence.push(locate(mounts.path, bytes));
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
  return findings;
}

/** Pod volumes: the workload filled its own PV, not the node. */
function volumeFullFindings(storage: Storage): FindingDraft[] {
  const { mounts } = storage;
  if (!mounts) return [];
  const findings: FindingDraft[] = [];
  for (const row of mounts.df) {
    if (!POD_VOLUME.test(row.mountpoint) || !row.source.startsWith("/dev/") || (row.usePercent ?? 0) < VOLUME_FULL)
      continue;
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
        [locate(mounts.path, row)],
        attributes,
      ),
    );
  }
  return findings;
}

/** Read-only root or data filesystems. Bottlerocket's root is a read-only dm-verity image by design. */
function readOnlyFindings(storage: Storage, layout: Layout): FindingDraft[] {
  const { mounts } = storage;
  if (!mounts) return [];
  const bottlerocketRoot = (m: MountEntry) =>
    m.mountpoint === "/" &&
    (/^\/dev\/(dm-\d+|mapper\/root)$/.test(m.device) || m.fsType === "erofs") &&
    mounts.entries.has("/local");
  const findings: FindingDraft[] = [];
  for (const m of mounts.entries.values()) {
    if (!m.options.includes("ro") || !isNodeFilesystem(m.device, m.mountpoint, m.fsType)) continue;
    if (!DATA_MOUNTS.has(m.mountpoint) && !layout.dataMounts.has(m.mountpoint)) continue;
    if (bottlerocketRoot(m)) continue;
    findings.push(
      finding(
        "storage.read-only-mount",
        "high",
        `${m.mountpoint} (${m.device}, ${m.fsType}) is mounted read-only: the node cannot write images, logs or pod data there`,
        [locate(mounts.path, m)],
        { mountpoint: m.mountpoint, device: m.device, fsType: m.fsType },
      ),
    );
  }
  return findings;
}

/** One fact per node filesystem: the numbers that argue for or against exhaustion. */
function usageFacts(storage: Storage, layout: Layout): FindingDraft[] {
  const { mounts, inodes } = storage;
  if (!mounts) return [];
  return layout.nodeRows.map((row) => {
    const inode = layout.inodeByMount.get(row.mountpoint);
    const mount = mounts.entries.get(row.mountpoint);
    const attributes: FindingDraft["attributes"] = {
      mountpoint: row.mountpoint,
      device: row.source,
      sizeBytes: row.size,
      usedBytes: row.used,
      availBytes: row.avail,
      nodeDataFilesystem: layout.dataMounts.has(row.mountpoint),
      readOnly: mount?.options.includes("ro") ?? false,
    };
    if (row.usePercent !== undefined) attributes.usePercent = row.usePercent;
    if (inode?.usePercent !== undefined) attributes.inodeUsePercent = inode.usePercent;
    if (mount) attributes.fsType = mount.fsType;
    const evidence = [locate(mounts.path, row)];
    if (inode && inodes) evidence.push(locate(inodes.path, inode));
    return finding(
      "storage.usage",
      "info",
      `${row.mountpoint} (${row.source}): ${row.usePercent ?? "?"}% of ${gib(row.size)} used${inode?.usePercent !== undefined ? `, ${inode.usePercent}% of inodes` : ""}`,
      evidence,
      attributes,
    );
  });
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
  const evidence = disks.slice(0, DISK_SAMPLES).map((d) => locate(path, d));
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

interface FstabEntry {
  file: string;
  type: string;
  options: string[];
  line: number;
  /** The entry trimmed, as quoted in evidence. */
  text: string;
}

function parseFstab(lines: string[]): FstabEntry[] {
  const entries: FstabEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === "" || text.startsWith("#")) continue;
    const [spec, file, type, opts = "defaults"] = text.split(/\s+/);
    if (!spec || !file || !type) continue;
    entries.push({ file, type, options: opts.split(","), line: i + 1, text });
  }
  return entries;
}

function fstabFindings(path: string, entries: FstabEntry[], mounts: Map<string, MountEntry>): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const { file, type, options, ...row } of entries) {
    if (!file.startsWith("/") || FSTAB_IGNORED_TYPES.test(type)) continue;
    if (options.includes("noauto") || mounts.has(file)) continue;
    const data = DATA_MOUNTS.has(file) || NODE_PATHS.some((p) => p !== "/" && (p === file || p.startsWith(`${file}/`)));
    out.push(
      finding(
        "storage.fstab-unmounted",
        data ? "low" : "info",
        `/etc/fstab mounts ${file} (${type}) but it is not mounted${data ? ": the node writes that data to the filesystem below instead" : ""}`,
        [locate(path, row)],
        { mountpoint: file, fsType: type, nodeDataPath: data, nofail: options.includes("nofail") },
      ),
    );
  }
  return out;
}

/** One `du -sh` line: a container's writable layer and its size. */
interface Layer {
  bytes: number;
  size: string;
  where: string;
  line: number;
  text: string;
}

/** `du` size lines, largest first. */
function parseDu(lines: string[]): Layer[] {
  const layers: Layer[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const m = /^(\d+(?:[.,]\d+)?[KMGTPE]?)\s+(\/\S.*)$/.exec(text.trim());
    if (!m) continue;
    const bytes = parseHumanSize(m[1] as string);
    if (!Number.isNaN(bytes)) layers.push({ bytes, size: m[1] as string, where: m[2] as string, line: i + 1, text });
  }
  return layers.sort((a, b) => b.bytes - a.bytes);
}

function podLocalFact(path: string, layers: Layer[]): FindingDraft {
  const total = layers.reduce((sum, e) => sum + e.bytes, 0);
  const top = layers.slice(0, LARGEST_LAYERS);
  return finding(
    "storage.pod-local-usage",
    "info",
    `${layers.length} container writable layers hold ${gib(total)}; the largest is ${top[0]?.size}`,
    top.slice(0, LAYER_SAMPLES).map((e) => locate(path, e)),
    {
      layers: layers.length,
      totalBytes: total,
      largestBytes: top[0]?.bytes ?? 0,
      largest: top.map((e) => `${e.size} ${e.where}`),
    },
    layers.length,
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
