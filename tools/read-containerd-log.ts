import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { WindowMs } from "../src/domain/time.ts";
import type { BundleClock } from "../src/evidence/bundle-clock.ts";
import { iso, parseIsoTime } from "../src/evidence/clock.ts";
import type { LineCursor } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fromOccurrences, times } from "../src/toolkit/finding-drafts.ts";
import { buildPrefilter, journalLineTime, type LogSignal } from "../src/toolkit/log-signals.ts";
import { makeLocator, OccurrenceTable, Occurrences } from "../src/toolkit/occurrences.ts";
import { parseContainerdConfig, type ContainerdConfig } from "../src/toolkit/parse-containerd-config.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

/** Set on findings whose signal stopped long before the window's end. */
const STALE = attr.flag("Set (true) when the signal stopped long before the window's end (severity lowered to info)");

const KINDS = {
  "containerd.sandbox-image-pull-failed": kind(
    "Pulling the configured sandbox (pause) image fails (401 Unauthorized, no basic auth credentials, not found …): no pod can get a sandbox; info once a later pull succeeded",
    {
      reasons: attr.texts(
        "Distinct pull failure reasons, sorted: auth, throttled, not-found, tls, network, no-space, other",
      ),
      cleared: attr.flag("Set (true) when a later pull of the pause image succeeded"),
      stale: STALE,
    },
  ),
  "containerd.sandbox-image-deleted": kind(
    "The pause image was removed (RemoveImage / ImageDelete events for it, usually kubelet image GC): containerd cannot pull it back from ECR on its own; low once it was pulled again",
    {
      repulled: attr.flag("Set (true) when the pause image was pulled again after its last deletion"),
      stale: STALE,
    },
  ),
  "containerd.image-pull-failed": kind(
    "Workload images fail to pull; attribute `reasons` (auth, throttled, not-found, tls, network, no-space, other) and `images`",
    {
      reasons: attr.texts(
        "Distinct pull failure reasons, sorted: auth, throttled, not-found, tls, network, no-space, other",
      ),
      images: attr.texts("Workload image references that failed to pull (first 5)"),
      stillFailing: attr.texts("Images whose last pull failed, with no later successful pull (at most 5)"),
      cleared: attr.flag("Set (true) when every failing image was pulled successfully later"),
      stale: STALE,
    },
  ),
  "containerd.no-space": kind("containerd hit `no space left on device` (image unpack, snapshots, container state)", {
    stale: STALE,
  }),
  "containerd.restarts": kind(
    "containerd crashed and systemd restarted it (main process exited non-zero or was killed, restart counter); clean restarts and bootstrap restarts are info",
    {
      crashes: attr.count("containerd crashes this boot (non-zero exits / failures systemd reported)"),
      restartCounter: attr.count("systemd's highest restart counter for containerd"),
      startsThisBoot: attr.count("Times containerd booted successfully this boot"),
      cleanStops: attr.count("Clean stops by systemd this boot"),
      clean: attr.flag("Set (true) when there were no crashes, only clean restarts"),
      stale: STALE,
    },
  ),
  "containerd.not-running": kind(
    "The journal ends with containerd stopped or failed (no later successful start): the container runtime is down",
    {
      state: z.enum(["stopped", "failed"]).describe("containerd's state at the end of its journal"),
      gaveUp: attr.flag("Whether systemd gave up restarting it (start request repeated too quickly)"),
      restartCounter: attr.count("systemd's highest restart counter for containerd"),
      lastFatal: attr.text("Last fatal error message containerd logged (at most 200 characters)"),
    },
  ),
  "containerd.errors": kind(
    "Other containerd level=error/fatal/panic lines, grouped by message (attribute `messages`); benign deletion races (ContainerStatus … NotFound) are not counted here",
    {
      messages: attr.texts('Up to 10 most frequent error messages with identifiers blanked, "N× message"'),
      distinctMessages: attr.count("Distinct error message groups (at most 200 tracked)"),
      fatal: attr.count("fatal / panic lines among them"),
      cleared: attr.flag("Set (true) when the errors occurred only while the node was booting"),
      stale: STALE,
    },
  ),
  "containerd.shim-errors": kind(
    "Containers or sandboxes fail to start in the shim/runc (failed to start shim, OCI runtime create failed); attribute `causes` (exec-not-found and oom are the workload's own; cgroup, mount, permission, other)",
    {
      causes: attr.texts(
        "Distinct shim/runc failure causes, sorted: exec-not-found, oom, cgroup, mount, permission, other",
      ),
      workloadOnly: attr.flag("Whether every cause is the workload's own (exec-not-found, oom)"),
      stale: STALE,
    },
  ),
  "containerd.config": kind(
    "containerd's configuration from `containerd config dump` (fact; hand-off attributes `sandboxImage` and `systemdCgroup` for read_kubelet_config)",
    {
      defaultRuntime: attr.text("CRI default runtime name (runc unless configured)"),
      sandboxImage: attr.text(
        "Sandbox (pause) image containerd uses (hand-off containerdSandboxImage for read_kubelet_config)",
      ),
      systemdCgroup: attr.flag(
        "runc's SystemdCgroup option (hand-off containerdSystemdCgroup for read_kubelet_config)",
      ),
      configVersion: attr.number("Config schema version (2 for containerd 1.x, 3 for 2.x)"),
      snapshotter: attr.text("CRI snapshotter (e.g. overlayfs)"),
    },
  ),
  "containerd.config-invalid": kind(
    "`containerd config dump` printed an error or nothing containerd-shaped: containerd cannot load its configuration",
    { problem: attr.text("Why the dump is unusable (the error containerd printed, or not a containerd config dump)") },
  ),
  "containerd.status": kind(
    "containerd's lifecycle in the window (fact): whether it is running, when it last started, its version, restarts and benign error counts",
    {
      running: attr.flag("Whether containerd is running (or no lifecycle line says otherwise)"),
      state: z
        .enum(["unknown", "running", "stopped", "failed"])
        .describe("containerd's state at the end of the journal (unknown without lifecycle lines this boot)"),
      startsThisBoot: attr.count("Times containerd booted successfully this boot"),
      crashes: attr.count("containerd crashes this boot"),
      restartCounter: attr.count("systemd's highest restart counter for containerd"),
      benignErrors: attr.count("Benign error lines not counted as errors (deletion races, probe ExecSync failures …)"),
      version: attr.text("containerd version from its startup line"),
      lastStartedAt: attr.instant("When containerd last booted successfully"),
    },
  ),
};
type Kind = keyof typeof KINDS;

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "containerd.sandbox-image-pull-failed": ["read_kubelet_journal", "read_kubelet_config"],
  "containerd.sandbox-image-deleted": ["read_kubelet_journal", "read_kubelet_config"],
  "containerd.image-pull-failed": ["read_kubelet_journal"],
  "containerd.no-space": ["read_kubelet_journal", "list_bundle_inventory"],
  "containerd.restarts": ["read_dmesg", "read_kubelet_journal"],
  "containerd.not-running": ["read_kubelet_journal", "read_dmesg"],
  "containerd.errors": ["read_kubelet_journal"],
  "containerd.shim-errors": ["read_kubelet_config", "read_dmesg"],
  "containerd.config": ["read_kubelet_config"],
  "containerd.config-invalid": ["read_kubelet_journal"],
};

/** Lines within this long after boot belong to bootstrapping (nodeadm restarts containerd once it configured it). */
const BOOT_GRACE_MS = 15 * 60_000;
/** Clocks of the journal and of btime disagree a little: a minute before boot is still this boot. */
const BOOT_SLACK_MS = 60_000;
/** Errors seen only at boot are settled once the node has been quiet this long. */
const QUIET_AFTER_BOOT_MS = 10 * 60_000;
/** systemd prints several lines for one failure, and one GC removal logs several deletions: one event within this. */
const DEDUPE_MS = 10_000;
const MAX_ERROR_GROUPS = 200;
/** Crashes (or a restart counter) from this many on are a crash loop. */
const CRASH_LOOP = 3;
/** Bounds on what is remembered and listed: workload images named, ids the pause image has, messages quoted. */
const MAX_IMAGES = 5;
const MAX_PAUSE_IDS = 8;
const TOP_MESSAGES = 10;
const MAX_FATAL_CHARS = 200;

// Every line that can matter contains one of these: everything else (the bulk of a containerd journal
// is level=info chatter about shims, events and tasks) never reaches per-line code. Few needles with
// few distinct first characters keep the grep-like prefilter fast: `systemd[` stands for every unit
// lifecycle line (journalctl -u containerd only holds systemd's lines about this unit) and `Image` for
// PullImage / ImageCreate / ImageDelete / RemoveImage / DeleteImage.
const NEEDLES = [
  "level=error",
  "level=fatal",
  "level=panic",
  '"level":"error"',
  '"level":"fatal"',
  "systemd[",
  "successfully booted",
  "starting containerd",
  "Image",
  "no space left on device",
  "-- Boot ",
  "-- Reboot --",
  // containerd's own stderr before its logger exists: `containerd[123]: containerd: failed to load TOML …`
  "]: containerd: ",
];
const PREFILTER = buildPrefilter([] as LogSignal[], NEEDLES);

const PAUSE_REF = /\/pause:|eks\/pause|\/pause@sha256|pause-(?:amd64|arm64):/;
const PULL_FAILURE =
  /PullImage .{0,400}failed|failed to pull and unpack image|failed to pull image|failed to resolve reference/;
const SHIM_FAILURE =
  /failed to start shim|failed to create shim|OCI runtime (?:create|start) failed|runc create failed|failed to create containerd task/;
/** level=error lines containerd writes during normal pod deletion and probe execution. */
const BENIGN_ERROR = [
  /(?:ContainerStatus|PodSandboxStatus|StopPodSandbox|StopContainer|RemoveContainer|RemovePodSandbox|ContainerStats|ListContainerStats|UpdateContainerResources) for .{0,300}(?:NotFound|not found|does not exist)/,
  /ExecSync for .{0,200}failed/,
  /collecting metrics for /,
  /ttrpc: received message on inactive stream/,
  /copy shim log/,
  /Failed to pipe (?:stdout|stderr) of container/,
  /failed to (?:delete|cleanup) .{0,80}(?:not found|NotFound)/,
];

function pullReason(l: string): string {
  if (/no space left on device/.test(l)) return "no-space";
  if (/toomanyrequests|429 Too Many Requests|rate limit/i.test(l)) return "throttled";
  if (
    /no basic auth credentials|401 Unauthorized|403 Forbidden|\b401\b|\b403\b|pull access denied|authorization failed|denied/i.test(
      l,
    )
  )
    return "auth";
  if (/: not found|manifest unknown|NotFound|404 Not Found/i.test(l)) return "not-found";
  if (/x509:|tls: failed to verify certificate/.test(l)) return "tls";
  if (
    /i\/o timeout|dial tcp|TLS handshake|connection refused|no such host|deadline exceeded|connection reset|network is unreachable/i.test(
      l,
    )
  )
    return "network";
  return "other";
}

function shimCause(l: string): string {
  if (
    /executable file not found|exec: "[^"]*": (?:stat|permission)|no such file or directory: unknown/.test(l) &&
    /exec/.test(l)
  )
    return "exec-not-found";
  if (/OOM-killed|oom|memory limit too low/i.test(l)) return "oom";
  if (/cgroup|systemd|cgroupsPath/i.test(l)) return "cgroup";
  if (/mount|mounting|rootfs/i.test(l)) return "mount";
  if (/permission denied|operation not permitted/i.test(l)) return "permission";
  return "other";
}
const WORKLOAD_SHIM_CAUSES = new Set(["exec-not-found", "oom"]);

function levelOf(line: string): string | undefined {
  const i = line.indexOf("level=");
  if (i >= 0) {
    const end = line.indexOf(" ", i);
    return line.slice(i + 6, end < 0 ? undefined : end).replace(/"/g, "");
  }
  const m = /"level":"(\w+)"/.exec(line);
  return m?.[1];
}

function messageOf(line: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line) ?? /"msg":"((?:[^"\\]|\\.)*)"/.exec(line);
  if (m) return m[1] as string;
  const j = line.indexOf("]: ");
  return j >= 0 ? line.slice(j + 3) : line;
}

/** A message with its identifiers blanked, so one error about 300 pods is one group. */
function normalizeMessage(msg: string): string {
  return msg
    .replace(
      /&PodSandboxMetadata\{[^}]*\}|name:\\?"[^"\\]*\\?" uid:\\?"[^"\\]*\\?" namespace:\\?"[^"\\]*\\?"(?: attempt:\d+)?/g,
      "<pod>",
    )
    .replace(/\\"[^"\\]*\\"/g, '"…"')
    .replace(/\b[0-9a-f]{12,}\b/g, "<id>")
    .replace(/\b\d+(\.\d+)?(ms|s|m)?\b/g, "N")
    .slice(0, 160);
}

/** logrus' own `time="…"` (dated, nanoseconds) when the line has one, else the journal's stamp. */
function lineTime(line: string, yearRef: number | undefined): number | undefined {
  const i = line.indexOf('time="');
  if (i >= 0 && i < 200) {
    const at = parseIsoTime(line.slice(i + 6, i + 46));
    if (at !== undefined) return at;
  }
  return journalLineTime(line, yearRef);
}

interface Lifecycle {
  state: "unknown" | "running" | "stopped" | "failed";
  boots: number;
  bootTimes: Array<number | undefined>;
  lastStartedAt: number | undefined;
  crashes: Occurrences;
  cleanStops: number;
  restartCounter: number;
  gaveUp: boolean;
  lastTransition: EvidenceLocator | undefined;
  lastTransitionAt: number | undefined;
  version: string | undefined;
  fatal: string | undefined;
}

interface Extras {
  pullReasons: Set<string>;
  images: Set<string>;
  sandboxReasons: Set<string>;
  shimCauses: Set<string>;
  pauseIds: Set<string>;
  sandboxPulledAt: number | undefined;
  lastDeletionAt: number | undefined;
  /** Per workload image: last failed pull and last successful pull, to tell a failure that cleared. */
  pulls: Map<string, { failedAt: number | undefined; pulledAt: number | undefined }>;
  errorGroups: Map<string, { count: number; fatal: boolean }>;
  fatalCount: number;
  benignErrors: number;
}

/** `containerd config dump`: parsed, or why it is not one; with the lines that show it. */
type ConfigDump =
  | { state: "invalid"; error: string | undefined; reason: string; evidence: EvidenceLocator }
  | { state: "ok"; config: ContainerdConfig; evidence: EvidenceLocator[] };

async function readConfig(read: EvidenceReader): Promise<ConfigDump | undefined> {
  const file = await read.text("containerdConfig");
  if (file.state !== "ok") return undefined;
  if (file.text.trim() === "") {
    read.gap(file.path, "file is empty");
    return undefined;
  }
  const config = parseContainerdConfig(file.text);
  const lines = file.text.split("\n");
  const at = (re: RegExp): EvidenceLocator => {
    const i = lines.findIndex((l) => re.test(l));
    return i < 0
      ? makeLocator(file.path, 1, undefined, (lines[0] ?? "").trim())
      : makeLocator(file.path, i + 1, undefined, (lines[i] as string).trim());
  };
  if (!config.recognized) {
    const reason = config.error ? `containerd config dump failed: ${config.error}` : "not a containerd config dump";
    read.gap(file.path, reason);
    return { state: "invalid", error: config.error, reason, evidence: at(/\S/) };
  }
  const evidence = [at(/sandbox_image\s*=|^\s*sandbox\s*=/), at(/SystemdCgroup\s*=/)].filter(
    (e, i, all) => all.findIndex((x) => x.line === e.line) === i,
  );
  if (config.error) read.gap(file.path, `the dump also printed an error: ${config.error}`);
  return { state: "ok", config, evidence };
}

function newExtras(): Extras {
  return {
    pullReasons: new Set(),
    images: new Set(),
    sandboxReasons: new Set(),
    shimCauses: new Set(),
    pauseIds: new Set(),
    sandboxPulledAt: undefined,
    lastDeletionAt: undefined,
    pulls: new Map(),
    errorGroups: new Map(),
    fatalCount: 0,
    benignErrors: 0,
  };
}

function newLifecycle(): Lifecycle {
  return {
    state: "unknown",
    boots: 0,
    bootTimes: [],
    lastStartedAt: undefined,
    crashes: new Occurrences(),
    cleanStops: 0,
    restartCounter: 0,
    gaveUp: false,
    lastTransition: undefined,
    lastTransitionAt: undefined,
    version: undefined,
    fatal: undefined,
  };
}

/** containerd's journal, line by line: the unit's lifecycle, signals per kind, and what judging them needs. */
class Journal {
  readonly table = new OccurrenceTable<Kind>();
  readonly x = newExtras();
  readonly life = newLifecycle();
  sawLifecycle = false;
  private lastCrashAt: number | undefined;
  private lastDeletionCounted: number | undefined;
  private readonly path: string;
  private readonly sandboxImage: string | undefined;
  private readonly boot: number | undefined;

  constructor(path: string, sandboxImage: string | undefined, boot: number | undefined) {
    this.path = path;
    this.sandboxImage = sandboxImage;
    this.boot = boot;
  }

  /** A new boot: the lifecycle seen so far was the previous boot's. */
  reboot(): void {
    this.life.state = "unknown";
    this.life.boots = 0;
    this.life.bootTimes = [];
  }

  private mentionsSandbox(l: string): boolean {
    return (
      (this.sandboxImage !== undefined && l.includes(this.sandboxImage)) ||
      PAUSE_REF.test(l) ||
      [...this.x.pauseIds].some((id) => l.includes(id))
    );
  }

  private thisBoot(at: number | undefined): boolean {
    return at === undefined || this.boot === undefined || at >= this.boot - BOOT_SLACK_MS;
  }

  private transition(state: Lifecycle["state"], at: number | undefined, cursor: LineCursor): void {
    this.sawLifecycle = true;
    this.life.state = state;
    this.life.lastTransitionAt = at;
    this.life.lastTransition = makeLocator(this.path, cursor.lineNo, at, cursor.text());
  }

  private crash(at: number | undefined, cursor: LineCursor): void {
    this.life.crashes.add(this.path, cursor.lineNo, at, cursor.text());
    this.lastCrashAt = at;
  }

  /** systemd's view of the unit. */
  systemd(line: string, at: number | undefined, cursor: LineCursor): void {
    const life = this.life;
    if (/Main process exited|main process exited/.test(line)) {
      if (!/status=0\/SUCCESS/.test(line) && this.thisBoot(at)) {
        this.crash(at, cursor);
        this.transition("failed", at, cursor);
      }
    } else if (/Failed with result|entered failed state|containerd\.service failed/.test(line)) {
      if (
        this.thisBoot(at) &&
        (this.lastCrashAt === undefined || at === undefined || at - this.lastCrashAt > DEDUPE_MS)
      )
        this.crash(at, cursor);
      this.transition("failed", at, cursor);
    } else if (/restart counter is at (\d+)/.test(line)) {
      life.restartCounter = Math.max(life.restartCounter, Number(/restart counter is at (\d+)/.exec(line)?.[1] ?? 0));
    } else if (/Start request repeated too quickly/.test(line)) {
      life.gaveUp = true;
      this.transition("failed", at, cursor);
    } else if (/Failed to start containerd/.test(line)) {
      this.transition("failed", at, cursor);
    } else if (/Stopping containerd/.test(line)) {
      if (this.thisBoot(at)) life.cleanStops += 1;
      this.transition("stopped", at, cursor);
    } else if (/Stopped containerd/.test(line)) {
      this.transition("stopped", at, cursor);
    } else if (/Started containerd/.test(line)) {
      this.transition("running", at, cursor);
    }
  }

  /** containerd's own lines: starts, image events, and errors sorted into their kinds. */
  containerd(line: string, at: number | undefined, cursor: LineCursor): void {
    const { life, x, table, path } = this;
    if (line.includes("successfully booted")) {
      if (this.thisBoot(at)) {
        life.boots += 1;
        life.bootTimes.push(at);
      }
      life.lastStartedAt = at;
      life.gaveUp = false;
      this.transition("running", at, cursor);
      return;
    }
    if (line.includes("starting containerd")) {
      const v = /version=(v?[\w.+~-]+)/.exec(line);
      if (v) life.version = v[1];
      return;
    }
    // Successful pulls: of the pause image (and the ids it has), and of images that failed before.
    if (line.includes("returns image reference") || line.includes("ImageCreate event")) {
      const pulled = /PullImage \\?"([^"\\]+)/.exec(line)?.[1];
      const entry = pulled === undefined ? undefined : x.pulls.get(pulled);
      if (entry && at !== undefined) entry.pulledAt = Math.max(entry.pulledAt ?? 0, at);
      if (this.mentionsSandbox(line)) {
        if (at !== undefined) x.sandboxPulledAt = Math.max(x.sandboxPulledAt ?? 0, at);
        const id = /returns image reference \\?"(sha256:[0-9a-f]{64})/.exec(line);
        if (id && x.pauseIds.size < MAX_PAUSE_IDS) x.pauseIds.add(id[1] as string);
      }
      return;
    }
    if (
      (line.includes("ImageDelete") || line.includes("RemoveImage") || line.includes("DeleteImage")) &&
      !line.includes("returns successfully")
    ) {
      if (this.mentionsSandbox(line)) {
        // One GC removal logs RemoveImage and an ImageDelete per reference (tag, digest, id): count it once.
        if (this.lastDeletionCounted === undefined || at === undefined || at - this.lastDeletionCounted > DEDUPE_MS) {
          table.get("containerd.sandbox-image-deleted").add(path, cursor.lineNo, at, cursor.text());
          if (at !== undefined) this.lastDeletionCounted = at;
        }
        if (at !== undefined) x.lastDeletionAt = Math.max(x.lastDeletionAt ?? 0, at);
      }
      if (!/level=(?:error|fatal)/.test(line)) return;
    }

    const noSpace = line.includes("no space left on device");
    if (noSpace) table.get("containerd.no-space").add(path, cursor.lineNo, at, cursor.text());
    const level = levelOf(line) ?? (line.includes("]: containerd: ") ? "fatal" : undefined);
    if (level !== "error" && level !== "fatal" && level !== "panic") return;

    if (line.includes("failed to get sandbox image") || (PULL_FAILURE.test(line) && this.mentionsSandbox(line))) {
      table.get("containerd.sandbox-image-pull-failed").add(path, cursor.lineNo, at, cursor.text());
      x.sandboxReasons.add(pullReason(line));
      return;
    }
    if (PULL_FAILURE.test(line)) {
      table.get("containerd.image-pull-failed").add(path, cursor.lineNo, at, cursor.text());
      x.pullReasons.add(pullReason(line));
      const image = (/PullImage \\?"([^"\\]+)/.exec(line) ?? /pull and unpack image \\?"([^"\\]+)/.exec(line))?.[1];
      if (image) {
        if (x.images.size < MAX_IMAGES) x.images.add(image);
        const entry = x.pulls.get(image);
        if (entry) entry.failedAt = at === undefined ? entry.failedAt : Math.max(entry.failedAt ?? 0, at);
        else if (x.pulls.size < MAX_ERROR_GROUPS) x.pulls.set(image, { failedAt: at, pulledAt: undefined });
      }
      return;
    }
    if (SHIM_FAILURE.test(line)) {
      table.get("containerd.shim-errors").add(path, cursor.lineNo, at, cursor.text());
      x.shimCauses.add(shimCause(line));
      return;
    }
    if (noSpace) return;
    if (BENIGN_ERROR.some((re) => re.test(line))) {
      x.benignErrors += 1;
      return;
    }
    const fatal = level !== "error";
    if (fatal) {
      x.fatalCount += 1;
      life.fatal = messageOf(line).slice(0, MAX_FATAL_CHARS);
    }
    table.get("containerd.errors").add(path, cursor.lineNo, at, cursor.text());
    const key = normalizeMessage(messageOf(line));
    const group = x.errorGroups.get(key);
    if (group) {
      group.count += 1;
      group.fatal ||= fatal;
    } else if (x.errorGroups.size < MAX_ERROR_GROUPS) x.errorGroups.set(key, { count: 1, fatal });
  }
}

/** Reads containerd's journal within the window; undefined when it is unreadable. */
async function readJournal(
  read: EvidenceReader,
  path: string,
  sandboxImage: string | undefined,
  clock: BundleClock,
  window: WindowMs,
): Promise<Journal | undefined> {
  const journal = new Journal(path, sandboxImage, clock.bootTime);
  const scanned = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    if (line.startsWith("-- Boot ") || line.startsWith("-- Reboot --")) {
      journal.reboot();
      return;
    }
    const at = lineTime(line, clock.yearReference);
    if (!inWindow(at, window)) return;
    if (line.includes("systemd[")) journal.systemd(line, at, cursor);
    else journal.containerd(line, at, cursor);
  });
  if (!scanned) return undefined;
  const life = journal.life;
  // A stop before this boot is the previous boot's shutdown, not the runtime's state now.
  if (
    life.state !== "running" &&
    life.lastTransitionAt !== undefined &&
    clock.bootTime !== undefined &&
    life.lastTransitionAt < clock.bootTime - BOOT_SLACK_MS
  )
    life.state = "unknown";
  return journal;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const dump = await readConfig(ctx.read);
  const findings = dump ? [configFinding(dump)] : [];
  const [path] = await ctx.read.paths("containerdLog");
  if (!path) return findings;
  const sandboxImage = dump?.state === "ok" ? dump.config.sandboxImage : undefined;
  const journal = await readJournal(ctx.read, path, sandboxImage, ctx.clock, ctx.window);
  if (!journal) return findings;
  for (const [kind, occ] of journal.table.entries()) findings.push(draftFor(kind, occ, journal.x, ctx));
  const { life, x, sawLifecycle } = journal;
  findings.push(statusFact(life, x, sawLifecycle));
  const notRunning = notRunningFinding(life);
  if (notRunning) findings.push(notRunning);
  const restarts = restartsFinding(life, ctx, path);
  if (restarts) findings.push(restarts);
  return findings;
}

function configFinding(dump: ConfigDump): FindingDraft {
  if (dump.state === "invalid")
    return draft({
      kind: "containerd.config-invalid",
      severity: dump.error ? "high" : "medium",
      summary: dump.error
        ? `containerd cannot load its configuration: ${dump.error}`
        : "containerd-config.txt holds no containerd configuration",
      evidence: [dump.evidence],
      attributes: { problem: dump.reason },
      correlateWith: CORRELATE["containerd.config-invalid"],
    });
  const { config } = dump;
  const attributes: FindingDraft["attributes"] = { defaultRuntime: config.defaultRuntime };
  if (config.sandboxImage) attributes.sandboxImage = config.sandboxImage;
  if (config.systemdCgroup !== undefined) attributes.systemdCgroup = config.systemdCgroup;
  if (config.version !== undefined) attributes.configVersion = config.version;
  if (config.snapshotter) attributes.snapshotter = config.snapshotter;
  return draft({
    kind: "containerd.config",
    severity: "info",
    summary: `containerd sandbox image ${config.sandboxImage ?? "not set"}, SystemdCgroup ${config.systemdCgroup ?? "not set"} (${config.defaultRuntime})`,
    evidence: dump.evidence,
    attributes,
    correlateWith: CORRELATE["containerd.config"],
  });
}

function bootOnly(occ: Occurrences, ctx: AnalyzerContext): boolean {
  const boot = ctx.clock.bootTime;
  return (
    boot !== undefined &&
    occ.first !== undefined &&
    occ.last !== undefined &&
    occ.first >= boot - BOOT_SLACK_MS &&
    occ.last <= boot + BOOT_GRACE_MS &&
    ctx.window.end - occ.last > QUIET_AFTER_BOOT_MS
  );
}

function draftFor(kind: Kind, occ: Occurrences, x: Extras, ctx: AnalyzerContext): FindingDraft {
  const n = times(occ.count);
  const attributes: FindingDraft["attributes"] = {};
  const notes: string[] = [];
  let severity: Severity;
  let summary: string;
  switch (kind) {
    case "containerd.sandbox-image-pull-failed": {
      severity = "critical";
      attributes.reasons = [...x.sandboxReasons].sort();
      summary = `containerd cannot pull the sandbox (pause) image (${[...x.sandboxReasons].sort().join(", ")}; ${n})`;
      if (x.sandboxPulledAt !== undefined && occ.last !== undefined && x.sandboxPulledAt > occ.last) {
        severity = "info";
        attributes.cleared = true;
        notes.push("a later pull succeeded");
      }
      break;
    }
    case "containerd.sandbox-image-deleted": {
      severity = "high";
      summary = `The sandbox (pause) image was deleted from containerd (${n})`;
      if (x.sandboxPulledAt !== undefined && x.lastDeletionAt !== undefined && x.sandboxPulledAt > x.lastDeletionAt) {
        severity = "low";
        attributes.repulled = true;
        notes.push("it was pulled again afterwards");
      }
      break;
    }
    case "containerd.image-pull-failed": {
      severity = x.pullReasons.has("no-space") ? "high" : "medium";
      attributes.reasons = [...x.pullReasons].sort();
      attributes.images = [...x.images];
      const failing = [...x.pulls]
        .filter(([, p]) => p.pulledAt === undefined || p.failedAt === undefined || p.pulledAt < p.failedAt)
        .map(([image]) => image);
      attributes.stillFailing = failing.slice(0, MAX_IMAGES);
      summary = `Image pulls failed ${n} (${attributes.reasons.join(", ")})`;
      if (x.pulls.size > 0 && failing.length === 0) {
        severity = "info";
        attributes.cleared = true;
        notes.push("every failing image was pulled successfully later");
      }
      break;
    }
    case "containerd.no-space":
      severity = "high";
      summary = `containerd ran out of disk space (no space left on device, ${n})`;
      break;
    case "containerd.shim-errors": {
      const causes = [...x.shimCauses].sort();
      attributes.causes = causes;
      const workloadOnly = causes.every((c) => WORKLOAD_SHIM_CAUSES.has(c));
      attributes.workloadOnly = workloadOnly;
      severity = workloadOnly ? "info" : causes.includes("cgroup") ? "high" : "medium";
      summary = `Containers failed to start in the shim/runc ${n} (${causes.join(", ")})${workloadOnly ? ": the workloads' own commands or limits" : ""}`;
      break;
    }
    case "containerd.errors": {
      const groups = [...x.errorGroups].sort((a, b) => b[1].count - a[1].count);
      attributes.messages = groups.slice(0, TOP_MESSAGES).map(([msg, g]) => `${g.count}× ${msg}`);
      attributes.distinctMessages = groups.length;
      attributes.fatal = x.fatalCount;
      severity = x.fatalCount > 0 ? "high" : "low";
      summary = `containerd logged ${n} other error${x.fatalCount > 0 ? ` (${x.fatalCount} fatal)` : ""}; most frequent: ${groups[0]?.[0] ?? "?"}`;
      if (bootOnly(occ, ctx)) {
        severity = "info";
        attributes.cleared = true;
        notes.push("only while the node was booting");
      }
      break;
    }
    default:
      severity = "info";
      summary = `${KINDS[kind].description} (${n})`;
  }
  if (severity !== "info" && !isRecent(occ, ctx.window)) {
    severity = "info";
    attributes.stale = true;
    if (occ.last !== undefined)
      notes.push(`last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`);
  }
  return fromOccurrences(occ, {
    kind,
    severity,
    summary: summary + (notes.length ? `; ${notes.join("; ")}` : ""),
    attributes,
    correlateWith: CORRELATE[kind],
  });
}

function statusFact(life: Lifecycle, x: Extras, sawLifecycle: boolean): FindingDraft {
  const running = isRunning(life);
  const attributes: FindingDraft["attributes"] = {
    running,
    state: life.state,
    startsThisBoot: life.boots,
    crashes: life.crashes.count,
    restartCounter: life.restartCounter,
    benignErrors: x.benignErrors,
  };
  if (life.version) attributes.version = life.version;
  if (life.lastStartedAt !== undefined) attributes.lastStartedAt = new Date(life.lastStartedAt).toISOString();
  return draft({
    kind: "containerd.status",
    severity: "info",
    summary: `containerd ${running ? "running" : life.state}${life.version ? ` (${life.version})` : ""}; started ${life.boots} time${life.boots === 1 ? "" : "s"} this boot, ${life.crashes.count} crash${life.crashes.count === 1 ? "" : "es"}${sawLifecycle ? "" : "; no start or stop lines in the journal"}`,
    evidence: life.lastTransition ? [life.lastTransition] : [],
    attributes,
  });
}

/** A journal without lifecycle lines (state unknown) says nothing against a running containerd. */
function isRunning(life: Lifecycle): boolean {
  return life.state === "running" || life.state === "unknown";
}

function notRunningFinding(life: Lifecycle): FindingDraft | undefined {
  if (isRunning(life)) return undefined;
  const attributes: FindingDraft["attributes"] = {
    state: life.state,
    gaveUp: life.gaveUp,
    restartCounter: life.restartCounter,
  };
  if (life.fatal) attributes.lastFatal = life.fatal;
  const when = iso(life.lastTransitionAt);
  return draft({
    kind: "containerd.not-running",
    severity: "critical",
    summary: `containerd is ${life.state === "stopped" ? "stopped" : "down"} at the end of its journal${life.gaveUp ? " (systemd gave up restarting it)" : ""}${life.fatal ? `; last fatal error: ${life.fatal}` : ""}`,
    evidence: life.lastTransition ? [life.lastTransition] : [],
    attributes,
    correlateWith: CORRELATE["containerd.not-running"],
    firstSeen: when,
    lastSeen: when,
  });
}

/** Crashes this boot, or extra clean starts; clean restarts while bootstrapping are expected. */
function restartsFinding(life: Lifecycle, ctx: AnalyzerContext, path: string): FindingDraft | undefined {
  const boot = ctx.clock.bootTime;
  const crashes = life.crashes;
  const extraStarts = Math.max(0, life.boots - 1);
  if (crashes.count === 0 && extraStarts === 0) return undefined;
  let severity: Severity;
  const notes: string[] = [];
  const attributes: FindingDraft["attributes"] = {
    crashes: crashes.count,
    restartCounter: life.restartCounter,
    startsThisBoot: life.boots,
    cleanStops: life.cleanStops,
  };
  if (crashes.count === 0) {
    severity = "info";
    attributes.clean = true;
    const starts = life.bootTimes.filter((t): t is number => t !== undefined);
    notes.push(
      boot !== undefined && starts.length > 0 && Math.max(...starts) <= boot + BOOT_GRACE_MS
        ? "restarted cleanly while the node was bootstrapping"
        : "restarted cleanly (stopped by systemd, not a crash)",
    );
  } else if (!isRecent(crashes, ctx.window)) {
    severity = "info";
    attributes.stale = true;
    if (crashes.last !== undefined)
      notes.push(`last crash ${humanDuration(ctx.window.end - crashes.last)} before the window's end`);
  } else severity = crashes.count >= CRASH_LOOP || life.restartCounter >= CRASH_LOOP ? "high" : "medium";
  const evidence =
    crashes.count > 0
      ? crashes.evidence
      : life.lastTransition
        ? [life.lastTransition]
        : [makeLocator(path, undefined, undefined, "containerd successfully booted")];
  return draft({
    kind: "containerd.restarts",
    severity,
    summary: `containerd ${crashes.count > 0 ? `crashed ${crashes.count} time${crashes.count === 1 ? "" : "s"}` : `started ${life.boots} times`} this boot${life.restartCounter ? ` (restart counter ${life.restartCounter})` : ""}${notes.length ? `; ${notes.join("; ")}` : ""}`,
    evidence,
    count: Math.max(crashes.count, extraStarts),
    attributes,
    correlateWith: CORRELATE["containerd.restarts"],
    firstSeen: crashes.firstSeen,
    lastSeen: crashes.lastSeen,
  });
}

export const readContainerdLog = defineTool({
  name: "read_containerd_log",
  title: "containerd journal and config",
  lane: "runtime",
  description:
    "Reads containerd's journal (containerd/containerd-log.txt, journalctl -u containerd wrapping logrus lines) and its `containerd config dump`. Finds sandbox (pause) image pull failures and deletions, workload image pull failures, disk full, crash/restart loops and a runtime left down, shim/runc start failures and other errors grouped by message; reports the sandbox image and SystemdCgroup. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Benign deletion races (ContainerStatus … NotFound), probe ExecSync failures and level=warning chatter are not errors; errors that stopped hours before the window are info. ` +
    "Hand-off: pass `containerd.config` attributes systemdCgroup and sandboxImage to read_kubelet_config (containerdSystemdCgroup, containerdSandboxImage). Next: read_kubelet_journal for the kubelet's side, read_dmesg when containerd was killed.",
  sources: ["containerdLog", "containerdConfig"],
  kinds: KINDS,
  input: {},
  analyze,
});
