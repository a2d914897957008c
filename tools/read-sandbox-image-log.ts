import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import { iso } from "../src/evidence/clock.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fromOccurrences } from "../src/toolkit/finding-drafts.ts";
import { journalLineTime } from "../src/toolkit/log-signals.ts";
import { Occurrences } from "../src/toolkit/occurrences.ts";
import { humanDuration } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const REASON = z.enum(["auth", "throttled", "not-found", "network", "runtime", "other"]);

const KINDS = {
  "sandbox-image.pulled": kind(
    "The sandbox-image unit pulled the pause image and finished (fact: image, when, attempts): the pause image was present after boot",
    {
      image: attr.text("Pause image reference (from the unit log, else containerd's config.toml)"),
      attempts: attr.count("Pull attempts in the last run (1 when the first attempt succeeded)"),
      runs: attr.count("Runs of the unit in the journal"),
    },
  ),
  "sandbox-image.cached": kind(
    "The unit skipped the pull because the pause image was already in containerd (AMI cache) (fact)",
    { image: attr.text("Pause image reference (from the unit log, else containerd's config.toml)") },
  ),
  "sandbox-image.pull-failed": kind(
    "The unit could not pull the pause image; attribute `reason` (auth, throttled, not-found, network, runtime, other). High when the unit's last run failed; info when a later run succeeded",
    {
      image: attr.text("Pause image reference (from the unit log, else containerd's config.toml)"),
      reason: REASON.describe(
        "The run's failure reason, most specific first: auth, throttled, not-found, runtime, network, other",
      ),
      reasons: attr.texts("Every distinct failure reason the run logged (pull and ECR login), sorted; may be empty"),
      attempts: attr.count("Pull attempts in the run"),
      final: attr.flag("Whether this is the unit's last run (its outcome decides whether the pause image is there)"),
      recovered: attr.flag("Whether a later run of the unit succeeded"),
      inProgress: attr.flag("Whether the run never reported an outcome (still retrying when the logs were collected)"),
    },
  ),
  "sandbox-image.ecr-login-failed": kind(
    "The unit could not get an ECR password (aws ecr get-login-password failed: missing credentials, AccessDenied, endpoint unreachable); info when the pull still succeeded",
    {
      reason: REASON.describe("Why the ECR login failed: auth, throttled, not-found, runtime, network, other"),
      final: attr.flag("Whether this is the unit's last run"),
      pullSucceeded: attr.flag("Whether the run's pull still succeeded (it did not fail)"),
    },
  ),
  "sandbox-image.config-missing": kind(
    "containerd's config.toml names no sandbox_image, so the unit pulled nothing (fact)",
    {},
  ),
  "sandbox-image.no-entries": kind(
    "journalctl has no entries for the unit (it never ran on this boot: e.g. an AMI whose pause image is baked in) (fact)",
    {},
  ),
};

type Reason = "auth" | "throttled" | "not-found" | "network" | "runtime" | "other";

/** `Nov 24 08:00:12 host ident[pid]: msg` or `2026-11-24T08:00:12.123456+0000 host ident[pid]: msg` (short-iso). */
const JOURNAL =
  /^(?:\d{4}-\d{2}-\d{2}T\S+|[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) \S+ ([^\s:[]+)(?:\[\d+\])?: ?(.*)$/;
const UNIT = /sandbox-image\.service|pull sandbox image/;
const IMAGE_REF =
  /image="([^"\s]+)"|(?:pull image|unpack image|resolve reference|sandbox_image) \\?["']([^"'\\\s]+)\\?["']|^([^\s:]+\/[^\s:]+:[\w.-]+): (?:resolving|resolved|fetching)/;

function reasonOf(text: string): Reason | undefined {
  if (/toomanyrequests|429 Too Many|ThrottlingException|Rate exceeded/i.test(text)) return "throttled";
  if (
    /401 Unauthorized|403 Forbidden|no basic auth credentials|pull access denied|authorization failed|AccessDenied|not authorized to perform|UnrecognizedClient|Unable to locate credentials|ExpiredToken|InvalidSignature/i.test(
      text,
    )
  )
    return "auth";
  if (/not found|manifest unknown|404 Not Found|RepositoryNotFound|ImageNotFound/i.test(text)) return "not-found";
  if (/containerd\.sock|runtime is down|Dependency failed/i.test(text)) return "runtime";
  if (
    /i\/o timeout|dial tcp|TLS handshake timeout|connection refused|connection reset|no such host|deadline exceeded|Could not connect to the endpoint URL|Connect timeout on endpoint|Read timeout on endpoint|network is unreachable|timed out/i.test(
      text,
    )
  )
    return "network";
  return undefined;
}

/** The reason a failure is reported under when a run saw several: the most specific cause first. */
const REASON_ORDER: readonly Reason[] = ["auth", "throttled", "not-found", "runtime", "network", "other"];
/** containerd's config.toml is a few KiB; anything larger is not one worth searching. */
const MAX_CONFIG_BYTES = 4 << 20;

/** One execution of the oneshot unit: from `Starting` to its outcome. */
interface Run {
  startedAt: number | undefined;
  outcome: "success" | "failure" | undefined;
  endedAt: number | undefined;
  attempts: number;
  cached: boolean;
  configMissing: boolean;
  errors: Occurrences;
  reasons: Set<Reason>;
  ecrLogin: Occurrences;
  ecrReasons: Set<Reason>;
  evidence: Occurrences;
}

function newRun(at: number | undefined): Run {
  return {
    startedAt: at,
    outcome: undefined,
    endedAt: undefined,
    attempts: 1,
    cached: false,
    configMissing: false,
    errors: new Occurrences(),
    reasons: new Set(),
    ecrLogin: new Occurrences(),
    ecrReasons: new Set(),
    evidence: new Occurrences(),
  };
}

function isSuccess(msg: string): boolean {
  return (
    (/^(Finished|Started) /.test(msg) && UNIT.test(msg)) ||
    /^sandbox-image\.service: (Succeeded|Deactivated successfully)/.test(msg) ||
    /^sandbox-image\.service: Main process exited, code=exited, status=0\//.test(msg)
  );
}

function isFailure(msg: string): boolean {
  if (!UNIT.test(msg)) return false;
  return (
    /^Failed to start /.test(msg) ||
    /^Dependency failed for /.test(msg) ||
    /: Failed with result /.test(msg) ||
    /: Main process exited, code=(exited|killed|dumped), status=(?!0\/)/.test(msg) ||
    /entered failed state|^sandbox-image\.service failed\.?$|start operation timed out/.test(msg)
  );
}

/** What the unit's journal holds: its runs, or journalctl's word that it never ran. */
type UnitLog =
  { state: "no-entries"; evidence: EvidenceLocator } | { state: "ran"; runs: Run[]; image: string | undefined };

/** The unit's runs, built line by line from its journal. */
class RunLog {
  readonly runs: Run[] = [];
  image: string | undefined;
  private current: Run | undefined;
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** A new boot ends whatever run was in progress: the unit never reported an outcome. */
  boot(): void {
    this.current = undefined;
  }

  /** The run in progress; a line before any `Starting` (the journal begins mid-run) opens one. */
  private run(at: number | undefined): Run {
    return this.current ?? this.start(at);
  }

  private start(at: number | undefined): Run {
    this.current = newRun(at);
    this.runs.push(this.current);
    return this.current;
  }

  /** A line systemd wrote about the unit: a start or an outcome. */
  systemd(msg: string, at: number | undefined, lineNo: number, line: string): void {
    if (/^Starting /.test(msg) && UNIT.test(msg)) {
      this.start(at);
      return;
    }
    const success = isSuccess(msg);
    if (!success && !isFailure(msg)) return;
    const run = this.run(at);
    // The first outcome line wins (systemd prints several for one failure).
    if (run.outcome === undefined || (run.outcome === "success" && !success)) {
      run.outcome = success ? "success" : "failure";
      run.endedAt = at;
    }
    if (!success) {
      run.errors.add(this.path, lineNo, at, line);
      const reason = reasonOf(msg);
      if (reason) run.reasons.add(reason);
    } else run.evidence.add(this.path, lineNo, at, line);
  }

  /** Output of pull-sandbox-image.sh (and the aws / crictl commands it runs). */
  script(msg: string, at: number | undefined, lineNo: number, line: string): void {
    const run = this.run(at);
    const ref = IMAGE_REF.exec(msg);
    if (ref) this.image = (ref[1] ?? ref[2] ?? ref[3]) as string;
    if (/Skipping \.\.\. sandbox_image '[^']*' is already present/.test(msg)) {
      run.cached = true;
      run.evidence.add(this.path, lineNo, at, line);
      return;
    }
    if (/missing sandbox_image/.test(msg)) {
      run.configMissing = true;
      run.evidence.add(this.path, lineNo, at, line);
      return;
    }
    const attempt = /^Attempt (\d+) of \d+/.exec(msg);
    if (attempt) {
      run.attempts = Math.max(run.attempts, Number(attempt[1]) + 1);
      return;
    }
    if (/Image is up to date for|Pulled image|Successfully pulled|^done: [\d.]+m?s$/.test(msg)) {
      run.evidence.add(this.path, lineNo, at, line);
      return;
    }
    if (
      /Unable to retrieve the ECR password|GetAuthorizationToken|Unable to locate credentials|get-login-password/.test(
        msg,
      )
    ) {
      run.ecrLogin.add(this.path, lineNo, at, line);
      const reason = reasonOf(msg);
      if (reason) run.ecrReasons.add(reason);
      return;
    }
    if (/Could not connect to the endpoint URL|Connect timeout on endpoint URL|An error occurred \(/.test(msg)) {
      run.ecrLogin.add(this.path, lineNo, at, line);
      run.ecrReasons.add(reasonOf(msg) ?? "other");
      return;
    }
    if (
      /level=fatal|level=error|PullImage from image service failed|failed to pull|pulling image:|failed to resolve reference|Unauthorized|no basic auth credentials|^E\d{4} |^ctr: |error:/i.test(
        msg,
      )
    ) {
      run.errors.add(this.path, lineNo, at, line);
      run.reasons.add(reasonOf(msg) ?? "other");
    }
  }
}

/** Reads the unit's journal up to `windowEnd`; undefined when it is unreadable or holds no journal line (a gap says so). */
async function readUnitLog(
  read: EvidenceReader,
  path: string,
  yearRef: number | undefined,
  windowEnd: number,
): Promise<UnitLog | undefined> {
  const log = new RunLog(path);
  let journalLines = 0;
  let noEntries: EvidenceLocator | undefined;
  const ok = await read.scanAt(path, (cursor) => {
    const line = cursor.text();
    if (line.startsWith("-- ")) {
      if (line.startsWith("-- No entries --")) noEntries = { source: path, line: cursor.lineNo, excerpt: line };
      if (line.startsWith("-- Boot ") || line.startsWith("-- Reboot --")) log.boot();
      if (line.startsWith("-- Logs begin") || line.startsWith("-- Journal begins")) journalLines += 1;
      return;
    }
    const m = JOURNAL.exec(line);
    if (!m) return;
    journalLines += 1;
    const at = journalLineTime(line, yearRef);
    // The unit runs once per boot, before any window of interest: its state is everything up to the window's end.
    if (at !== undefined && at > windowEnd) return false;
    const ident = m[1] as string;
    const msg = m[2] as string;
    if (ident === "systemd" || ident === "init") log.systemd(msg, at, cursor.lineNo, line);
    else log.script(msg, at, cursor.lineNo, line);
  });
  if (!ok) return undefined;
  if (journalLines === 0) {
    if (noEntries) return { state: "no-entries", evidence: noEntries };
    read.gap(path, "no journal lines in the sandbox-image log");
    return undefined;
  }
  // Look for the pause image reference in containerd's config when the log does not name it.
  return { state: "ran", runs: log.runs, image: log.image ?? (await sandboxImageFromContainerdConfig(read)) };
}

async function sandboxImageFromContainerdConfig(read: EvidenceReader): Promise<string | undefined> {
  const [path] = await read.paths("containerdConfig");
  if (!path) return undefined;
  const size = await read.size(path);
  if (size === undefined || size > MAX_CONFIG_BYTES) return undefined;
  const text = await read.textAt(path);
  if (text.state !== "ok") return undefined;
  // containerd 1.x `sandbox_image = "…"`, 2.x `sandbox = '…'` under pinned_images.
  const m = /^\s*(?:sandbox_image|sandbox)\s*=\s*["']([^"']+)["']/m.exec(text.text);
  return m?.[1];
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const [path] = await ctx.read.paths("sandboxImageLog");
  if (!path) return [];
  const log = await readUnitLog(ctx.read, path, ctx.clock.yearReference, ctx.window.end);
  if (!log) return [];
  if (log.state === "no-entries") return [noEntriesFinding(log.evidence)];
  const last = log.runs.at(-1);
  const findings = log.runs.flatMap((run) => [
    ...pullFailedFindings(run, run === last, log.image, ctx.window.end),
    ...ecrLoginFindings(run, run === last),
  ]);
  const outcome = last && !failed(last) ? outcomeFinding(last, log.runs.length, log.image) : undefined;
  if (outcome) findings.push(outcome);
  return findings;
}

const CORRELATE = ["read_containerd_log", "read_kubelet_journal", "read_kubelet_config"];

/** A run failed when systemd said so, or when it logged errors and never reported an outcome (still retrying). */
function failed(run: Run): boolean {
  return run.outcome === "failure" || (run.outcome === undefined && run.errors.count > 0);
}

function imageAttr(image: string | undefined): FindingDraft["attributes"] {
  return image ? { image } : {};
}

function noEntriesFinding(evidence: EvidenceLocator): FindingDraft {
  return draft({
    kind: "sandbox-image.no-entries",
    severity: "info",
    summary:
      "journalctl has no entries for sandbox-image.service: the unit did not run on this boot (the pause image came from the AMI or containerd)",
    evidence: [evidence],
    correlateWith: ["read_containerd_log", "read_kubelet_journal"],
  });
}

/** Only the unit's last run decides whether the pause image is there; earlier failures were recovered from. */
function pullFailedFindings(run: Run, isLast: boolean, image: string | undefined, windowEnd: number): FindingDraft[] {
  if (!failed(run)) return [];
  const reason = REASON_ORDER.find((r) => run.reasons.has(r) || run.ecrReasons.has(r)) ?? "other";
  const notes: string[] = [];
  if (!isLast) notes.push("a later run of the unit succeeded");
  else if (run.outcome === undefined) notes.push("the unit was still retrying when the logs were collected");
  if (isLast && run.endedAt !== undefined && Number.isFinite(windowEnd))
    notes.push(`${humanDuration(windowEnd - run.endedAt)} before the window's end; nothing pulled it since`);
  const occ = run.errors.count > 0 ? run.errors : run.ecrLogin;
  return [
    draft({
      kind: "sandbox-image.pull-failed",
      severity: isLast ? "high" : "info",
      summary: `sandbox-image.service could not pull the pause image${image ? ` ${image}` : ""} (reason: ${reason}, ${run.attempts} attempt${run.attempts === 1 ? "" : "s"})${notes.length ? `; ${notes.join("; ")}` : ""}`,
      evidence: occ.evidence,
      count: Math.max(1, occ.count),
      attributes: {
        ...imageAttr(image),
        reason,
        reasons: [...new Set([...run.reasons, ...run.ecrReasons])].sort(),
        attempts: run.attempts,
        final: isLast,
        recovered: !isLast,
        inProgress: run.outcome === undefined,
      },
      correlateWith: CORRELATE,
      firstSeen: occ.firstSeen,
      lastSeen: occ.lastSeen,
    }),
  ];
}

/** A failed ECR login matters only when the pull it was for failed too (public images pull without it). */
function ecrLoginFindings(run: Run, isLast: boolean): FindingDraft[] {
  if (run.ecrLogin.count === 0) return [];
  const pullFailed = failed(run);
  const reason = REASON_ORDER.find((r) => run.ecrReasons.has(r)) ?? "other";
  return [
    fromOccurrences(run.ecrLogin, {
      kind: "sandbox-image.ecr-login-failed",
      severity: isLast && pullFailed ? "medium" : "info",
      summary: `aws ecr get-login-password failed for the sandbox image pull (reason: ${reason})${pullFailed ? "" : "; the pull still succeeded"}`,
      attributes: { reason, final: isLast, pullSucceeded: !pullFailed },
      correlateWith: ["read_kubelet_config", "read_containerd_log"],
    }),
  ];
}

/** How the last run, which did not fail, left the pause image: config without one, cached, or pulled. */
function outcomeFinding(last: Run, runs: number, image: string | undefined): FindingDraft | undefined {
  const base = {
    severity: "info",
    evidence: last.evidence.evidence,
    correlateWith: CORRELATE,
    lastSeen: iso(last.endedAt ?? last.startedAt),
  } as const;
  if (last.configMissing)
    return draft({
      ...base,
      kind: "sandbox-image.config-missing",
      summary: "containerd's config.toml names no sandbox_image: the sandbox-image unit pulled nothing",
    });
  if (last.cached)
    return draft({
      ...base,
      kind: "sandbox-image.cached",
      summary: `The pause image${image ? ` ${image}` : ""} was already present when the node booted (the unit skipped the pull)`,
      attributes: imageAttr(image),
    });
  if (last.outcome === "success")
    return draft({
      ...base,
      kind: "sandbox-image.pulled",
      summary: `sandbox-image.service pulled the pause image${image ? ` ${image}` : ""}${last.attempts > 1 ? ` after ${last.attempts} attempts` : ""}`,
      attributes: { ...imageAttr(image), attempts: last.attempts, runs },
    });
  return undefined;
}

export const readSandboxImageLog = defineTool({
  name: "read_sandbox_image_log",
  title: "Sandbox (pause) image unit",
  lane: "runtime",
  description:
    "Reads journalctl -u sandbox-image (sandbox-image/sandbox-image-log.txt): the oneshot unit that pulls the pause image named in containerd's config.toml with ECR credentials at boot, because containerd cannot authenticate to ECR itself. " +
    "Tells whether the pause image was pulled, already cached, or could not be pulled and why (401 / no basic auth credentials, not found, network timeouts, ECR login failures). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. A failure of the unit's last run is high; failures a later run recovered from are info. ` +
    "A successful pull at boot does not rule out the pause image being garbage-collected later: next read_kubelet_journal (failed to get sandbox image) and read_containerd_log (DeleteImage, pull errors); read_kubelet_config for image GC thresholds.",
  sources: ["sandboxImageLog", "containerdConfig"],
  kinds: KINDS,
  input: {},
  analyze,
});
