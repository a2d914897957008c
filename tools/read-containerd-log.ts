import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import { parseIsoTime } from "../src/evidence/clock.ts";
import { buildPrefilter, journalLineTime, type LogSignal } from "../src/toolkit/log-signals.ts";
import { makeLocator, OccurrenceTable, Occurrences } from "../src/toolkit/occurrences.ts";
import { parseContainerdConfig, type ContainerdConfig } from "../src/toolkit/parse-containerd-config.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "containerd.sandbox-image-pull-failed":
    "Pulling the configured sandbox (pause) image fails (401 Unauthorized, no basic auth credentials, not found …): no pod can get a sandbox; info once a later pull succeeded",
  "containerd.sandbox-image-deleted":
    "The pause image was removed (RemoveImage / ImageDelete events for it, usually kubelet image GC): containerd cannot pull it back from ECR on its own; low once it was pulled again",
  "containerd.image-pull-failed":
    "Workload images fail to pull; attribute `reasons` (auth, throttled, not-found, tls, network, no-space, other) and `images`",
  "containerd.no-space": "containerd hit `no space left on device` (image unpack, snapshots, container state)",
  "containerd.restarts":
    "containerd crashed and systemd restarted it (main process exited non-zero or was killed, restart counter); clean restarts and bootstrap restarts are info",
  "containerd.not-running":
    "The journal ends with containerd stopped or failed (no later successful start): the container runtime is down",
  "containerd.errors":
    "Other containerd level=error/fatal/panic lines, grouped by message (attribute `messages`); benign deletion races (ContainerStatus … NotFound) are not counted here",
  "containerd.shim-errors":
    "Containers or sandboxes fail to start in the shim/runc (failed to start shim, OCI runtime create failed); attribute `causes` (exec-not-found and oom are the workload's own; cgroup, mount, permission, other)",
  "containerd.config":
    "containerd's configuration from `containerd config dump` (fact; hand-off attributes `sandboxImage` and `systemdCgroup` for read_kubelet_config)",
  "containerd.config-invalid":
    "`containerd config dump` printed an error or nothing containerd-shaped: containerd cannot load its configuration",
  "containerd.status":
    "containerd's lifecycle in the window (fact): whether it is running, when it last started, its version, restarts and benign error counts",
} as const;
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

const BOOT_GRACE_MS = 15 * 60_000;
const DEDUPE_MS = 10_000;
const MAX_ERROR_GROUPS = 200;

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

async function readConfig(ctx: AnalyzerContext, findings: FindingDraft[]): Promise<ContainerdConfig | undefined> {
  const read = await ctx.read.text("containerdConfig");
  if (read.state !== "ok") return undefined;
  if (read.text.trim() === "") {
    ctx.read.gap(read.path, "file is empty");
    return undefined;
  }
  const config = parseContainerdConfig(read.text);
  const lines = read.text.split("\n");
  const at = (re: RegExp): EvidenceLocator => {
    const i = lines.findIndex((l) => re.test(l));
    return i < 0
      ? makeLocator(read.path, 1, undefined, (lines[0] ?? "").trim())
      : makeLocator(read.path, i + 1, undefined, (lines[i] as string).trim());
  };
  if (!config.recognized) {
    const reason = config.error ? `containerd config dump failed: ${config.error}` : "not a containerd config dump";
    ctx.read.gap(read.path, reason);
    findings.push({
      kind: "containerd.config-invalid",
      severity: config.error ? "high" : "medium",
      summary: config.error
        ? `containerd cannot load its configuration: ${config.error}`
        : "containerd-config.txt holds no containerd configuration",
      evidence: [at(/\S/)],
      count: 1,
      attributes: { problem: reason },
      correlateWith: CORRELATE["containerd.config-invalid"] ?? [],
    });
    return undefined;
  }
  const attributes: FindingDraft["attributes"] = { defaultRuntime: config.defaultRuntime };
  if (config.sandboxImage) attributes.sandboxImage = config.sandboxImage;
  if (config.systemdCgroup !== undefined) attributes.systemdCgroup = config.systemdCgroup;
  if (config.version !== undefined) attributes.configVersion = config.version;
  if (config.snapshotter) attributes.snapshotter = config.snapshotter;
  const evidence = [at(/sandbox_image\s*=|^\s*sandbox\s*=/), at(/SystemdCgroup\s*=/)].filter(
    (e, i, all) => all.findIndex((x) => x.line === e.line) === i,
  );
  findings.push({
    kind: "containerd.config",
    severity: "info",
    summary: `containerd sandbox image ${config.sandboxImage ?? "not set"}, SystemdCgroup ${config.systemdCgroup ?? "not set"} (${config.defaultRuntime})`,
    evidence,
    count: 1,
    attributes,
    correlateWith: CORRELATE["containerd.config"] ?? [],
  });
  if (config.error) ctx.read.gap(read.path, `the dump also printed an error: ${config.error}`);
  return config;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const findings: FindingDraft[] = [];
  const config = await readConfig(ctx, findings);
  const [path] = await ctx.read.paths("containerdLog");
  if (!path) return findings;

  const sandboxImage = config?.sandboxImage;
  const table = new OccurrenceTable<Kind>();
  const x: Extras = {
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
  const life: Lifecycle = {
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
  const boot = ctx.clock.bootTime;
  const yearRef = ctx.clock.yearReference;
  let lastCrashAt: number | undefined;
  let lastDeletionCounted: number | undefined;
  let sawLifecycle = false;

  const mentionsSandbox = (l: string): boolean =>
    (sandboxImage !== undefined && l.includes(sandboxImage)) ||
    PAUSE_REF.test(l) ||
    [...x.pauseIds].some((id) => l.includes(id));
  const thisBoot = (at: number | undefined): boolean => at === undefined || boot === undefined || at >= boot - 60_000;
  const transition = (state: Lifecycle["state"], at: number | undefined, lineNo: number, text: string) => {
    sawLifecycle = true;
    life.state = state;
    life.lastTransitionAt = at;
    life.lastTransition = makeLocator(path, lineNo, at, text);
  };

  const scanned = await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    if (line.startsWith("-- Boot ") || line.startsWith("-- Reboot --")) {
      life.state = "unknown";
      life.boots = 0;
      life.bootTimes = [];
      return;
    }
    const at = lineTime(line, yearRef);
    if (!inWindow(at, ctx.window)) return;

    // systemd's view of the unit.
    if (line.includes("systemd[")) {
      if (/Main process exited|main process exited/.test(line)) {
        if (!/status=0\/SUCCESS/.test(line) && thisBoot(at)) {
          life.crashes.add(path, cursor.lineNo, at, cursor.text());
          lastCrashAt = at;
          transition("failed", at, cursor.lineNo, cursor.text());
        }
      } else if (/Failed with result|entered failed state|containerd\.service failed/.test(line)) {
        if (thisBoot(at) && (lastCrashAt === undefined || at === undefined || at - lastCrashAt > DEDUPE_MS)) {
          life.crashes.add(path, cursor.lineNo, at, cursor.text());
          lastCrashAt = at;
        }
        transition("failed", at, cursor.lineNo, cursor.text());
      } else if (/restart counter is at (\d+)/.test(line)) {
        life.restartCounter = Math.max(life.restartCounter, Number(/restart counter is at (\d+)/.exec(line)?.[1] ?? 0));
      } else if (/Start request repeated too quickly/.test(line)) {
        life.gaveUp = true;
        transition("failed", at, cursor.lineNo, cursor.text());
      } else if (/Failed to start containerd/.test(line)) {
        transition("failed", at, cursor.lineNo, cursor.text());
      } else if (/Stopping containerd/.test(line)) {
        if (thisBoot(at)) life.cleanStops += 1;
        transition("stopped", at, cursor.lineNo, cursor.text());
      } else if (/Stopped containerd/.test(line)) {
        transition("stopped", at, cursor.lineNo, cursor.text());
      } else if (/Started containerd/.test(line)) {
        transition("running", at, cursor.lineNo, cursor.text());
      }
      return;
    }

    if (line.includes("successfully booted")) {
      if (thisBoot(at)) {
        life.boots += 1;
        life.bootTimes.push(at);
      }
      life.lastStartedAt = at;
      life.gaveUp = false;
      transition("running", at, cursor.lineNo, cursor.text());
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
      if (mentionsSandbox(line)) {
        if (at !== undefined) x.sandboxPulledAt = Math.max(x.sandboxPulledAt ?? 0, at);
        const id = /returns image reference \\?"(sha256:[0-9a-f]{64})/.exec(line);
        if (id && x.pauseIds.size < 8) x.pauseIds.add(id[1] as string);
      }
      return;
    }
    if (
      (line.includes("ImageDelete") || line.includes("RemoveImage") || line.includes("DeleteImage")) &&
      !line.includes("returns successfully")
    ) {
      if (mentionsSandbox(line)) {
        // One GC removal logs RemoveImage and an ImageDelete per reference (tag, digest, id): count it once.
        if (lastDeletionCounted === undefined || at === undefined || at - lastDeletionCounted > DEDUPE_MS) {
          table.get("containerd.sandbox-image-deleted").add(path, cursor.lineNo, at, cursor.text());
          if (at !== undefined) lastDeletionCounted = at;
        }
        if (at !== undefined) x.lastDeletionAt = Math.max(x.lastDeletionAt ?? 0, at);
      }
      if (!/level=(?:error|fatal)/.test(line)) return;
    }

    const noSpace = line.includes("no space left on device");
    if (noSpace) table.get("containerd.no-space").add(path, cursor.lineNo, at, cursor.text());
    const level = levelOf(line) ?? (line.includes("]: containerd: ") ? "fatal" : undefined);
    if (level !== "error" && level !== "fatal" && level !== "panic") return;

    if (line.includes("failed to get sandbox image") || (PULL_FAILURE.test(line) && mentionsSandbox(line))) {
      table.get("containerd.sandbox-image-pull-failed").add(path, cursor.lineNo, at, cursor.text());
      x.sandboxReasons.add(pullReason(line));
      return;
    }
    if (PULL_FAILURE.test(line)) {
      table.get("containerd.image-pull-failed").add(path, cursor.lineNo, at, cursor.text());
      x.pullReasons.add(pullReason(line));
      const image = (/PullImage \\?"([^"\\]+)/.exec(line) ?? /pull and unpack image \\?"([^"\\]+)/.exec(line))?.[1];
      if (image) {
        if (x.images.size < 5) x.images.add(image);
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
      life.fatal = messageOf(line).slice(0, 200);
    }
    table.get("containerd.errors").add(path, cursor.lineNo, at, cursor.text());
    const key = normalizeMessage(messageOf(line));
    const group = x.errorGroups.get(key);
    if (group) {
      group.count += 1;
      group.fatal ||= fatal;
    } else if (x.errorGroups.size < MAX_ERROR_GROUPS) x.errorGroups.set(key, { count: 1, fatal });
  });
  if (!scanned) return findings;
  // A stop before this boot is the previous boot's shutdown, not the runtime's state now.
  if (
    life.state !== "running" &&
    life.lastTransitionAt !== undefined &&
    ctx.clock.bootTime !== undefined &&
    life.lastTransitionAt < ctx.clock.bootTime - 60_000
  )
    life.state = "unknown";

  for (const [kind, occ] of table.entries()) findings.push(draftFor(kind, occ, x, ctx));
  findings.push(...lifecycleFindings(life, x, ctx, path, sawLifecycle));
  return findings;
}

function bootOnly(occ: Occurrences, ctx: AnalyzerContext): boolean {
  const boot = ctx.clock.bootTime;
  return (
    boot !== undefined &&
    occ.first !== undefined &&
    occ.last !== undefined &&
    occ.first >= boot - 60_000 &&
    occ.last <= boot + BOOT_GRACE_MS &&
    ctx.window.end - occ.last > 10 * 60_000
  );
}

function draftFor(kind: Kind, occ: Occurrences, x: Extras, ctx: AnalyzerContext): FindingDraft {
  const n = `${occ.count} time${occ.count === 1 ? "" : "s"}`;
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
      attributes.stillFailing = failing.slice(0, 5);
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
      attributes.messages = groups.slice(0, 10).map(([msg, g]) => `${g.count}× ${msg}`);
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
      summary = `${KINDS[kind]} (${n})`;
  }
  if (severity !== "info" && !isRecent(occ, ctx.window)) {
    severity = "info";
    attributes.stale = true;
    if (occ.last !== undefined)
      notes.push(`last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`);
  }
  const draft: FindingDraft = {
    kind,
    severity,
    summary: summary + (notes.length ? `; ${notes.join("; ")}` : ""),
    evidence: occ.evidence,
    count: occ.count,
    attributes,
    correlateWith: CORRELATE[kind] ?? [],
  };
  if (occ.firstSeen) draft.firstSeen = occ.firstSeen;
  if (occ.lastSeen) draft.lastSeen = occ.lastSeen;
  return draft;
}

function lifecycleFindings(
  life: Lifecycle,
  x: Extras,
  ctx: AnalyzerContext,
  path: string,
  sawLifecycle: boolean,
): FindingDraft[] {
  const out: FindingDraft[] = [];
  const boot = ctx.clock.bootTime;
  const running = life.state === "running" || life.state === "unknown";
  const statusAttributes: FindingDraft["attributes"] = {
    running,
    state: life.state,
    startsThisBoot: life.boots,
    crashes: life.crashes.count,
    restartCounter: life.restartCounter,
    benignErrors: x.benignErrors,
  };
  if (life.version) statusAttributes.version = life.version;
  if (life.lastStartedAt !== undefined) statusAttributes.lastStartedAt = new Date(life.lastStartedAt).toISOString();
  out.push({
    kind: "containerd.status",
    severity: "info",
    summary: `containerd ${running ? "running" : life.state}${life.version ? ` (${life.version})` : ""}; started ${life.boots} time${life.boots === 1 ? "" : "s"} this boot, ${life.crashes.count} crash${life.crashes.count === 1 ? "" : "es"}${sawLifecycle ? "" : "; no start or stop lines in the journal"}`,
    evidence: life.lastTransition ? [life.lastTransition] : [],
    count: 1,
    attributes: statusAttributes,
    correlateWith: [],
  });

  if (!running) {
    const attributes: FindingDraft["attributes"] = {
      state: life.state,
      gaveUp: life.gaveUp,
      restartCounter: life.restartCounter,
    };
    if (life.fatal) attributes.lastFatal = life.fatal;
    const draft: FindingDraft = {
      kind: "containerd.not-running",
      severity: "critical",
      summary: `containerd is ${life.state === "stopped" ? "stopped" : "down"} at the end of its journal${life.gaveUp ? " (systemd gave up restarting it)" : ""}${life.fatal ? `; last fatal error: ${life.fatal}` : ""}`,
      evidence: life.lastTransition ? [life.lastTransition] : [],
      count: 1,
      attributes,
      correlateWith: CORRELATE["containerd.not-running"] ?? [],
    };
    if (life.lastTransitionAt !== undefined)
      draft.firstSeen = draft.lastSeen = new Date(life.lastTransitionAt).toISOString();
    out.push(draft);
  }

  const crashes = life.crashes;
  const extraStarts = Math.max(0, life.boots - 1);
  if (crashes.count > 0 || extraStarts > 0) {
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
    } else severity = crashes.count >= 3 || life.restartCounter >= 3 ? "high" : "medium";
    const evidence =
      crashes.count > 0
        ? crashes.evidence
        : life.lastTransition
          ? [life.lastTransition]
          : [makeLocator(path, undefined, undefined, "containerd successfully booted")];
    const draft: FindingDraft = {
      kind: "containerd.restarts",
      severity,
      summary: `containerd ${crashes.count > 0 ? `crashed ${crashes.count} time${crashes.count === 1 ? "" : "s"}` : `started ${life.boots} times`} this boot${life.restartCounter ? ` (restart counter ${life.restartCounter})` : ""}${notes.length ? `; ${notes.join("; ")}` : ""}`,
      evidence,
      count: Math.max(crashes.count, extraStarts),
      attributes,
      correlateWith: CORRELATE["containerd.restarts"] ?? [],
    };
    if (crashes.firstSeen) draft.firstSeen = crashes.firstSeen;
    if (crashes.lastSeen) draft.lastSeen = crashes.lastSeen;
    out.push(draft);
  }
  return out;
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
