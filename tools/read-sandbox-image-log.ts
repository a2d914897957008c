import type { Severity } from "../src/domain/severity.ts";
import { iso } from "../src/evidence/clock.ts";
import { journalLineTime } from "../src/toolkit/log-signals.ts";
import { Occurrences } from "../src/toolkit/occurrences.ts";
import { humanDuration } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "sandbox-image.pulled":
    "The sandbox-image unit pulled the pause image and finished (fact: image, when, attempts): the pause image was present after boot",
  "sandbox-image.cached":
    "The unit skipped the pull because the pause image was already in containerd (AMI cache) (fact)",
  "sandbox-image.pull-failed":
    "The unit could not pull the pause image; attribute `reason` (auth, throttled, not-found, network, runtime, other). High when the unit's last run failed; info when a later run succeeded",
  "sandbox-image.ecr-login-failed":
    "The unit could not get an ECR password (aws ecr get-login-password failed: missing credentials, AccessDenied, endpoint unreachable); info when the pull still succeeded",
  "sandbox-image.config-missing": "containerd's config.toml names no sandbox_image, so the unit pulled nothing (fact)",
  "sandbox-image.no-entries":
    "journalctl has no entries for the unit (it never ran on this boot: e.g. an AMI whose pause image is baked in) (fact)",
} as const;

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

const REASON_ORDER: readonly Reason[] = ["auth", "throttled", "not-found", "runtime", "network", "other"];

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

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const [path] = await ctx.read.paths("sandboxImageLog");
  if (!path) return [];
  const yearRef = ctx.clock.yearReference;
  const runs: Run[] = [];
  let current: Run | undefined;
  let image: string | undefined;
  let journalLines = 0;
  let noEntries: { line: number; text: string } | undefined;

  const ok = await ctx.read.scanAt(path, (cursor) => {
    const line = cursor.text();
    if (line.startsWith("-- ")) {
      if (line.startsWith("-- No entries --")) noEntries = { line: cursor.lineNo, text: line };
      // A new boot ends whatever run was in progress: the unit never reported an outcome.
      if (line.startsWith("-- Boot ") || line.startsWith("-- Reboot --")) current = undefined;
      if (line.startsWith("-- Logs begin") || line.startsWith("-- Journal begins")) journalLines += 1;
      return;
    }
    const m = JOURNAL.exec(line);
    if (!m) return;
    journalLines += 1;
    const at = journalLineTime(line, yearRef);
    // The unit runs once per boot, before any window of interest: its state is everything up to the window's end.
    if (at !== undefined && at > ctx.window.end) return false;
    const ident = m[1] as string;
    const msg = m[2] as string;
    const fromSystemd = ident === "systemd" || ident === "init";

    if (fromSystemd) {
      if (/^Starting /.test(msg) && UNIT.test(msg)) {
        current = newRun(at);
        runs.push(current);
        return;
      }
      if (isSuccess(msg) || isFailure(msg)) {
        if (!current) {
          current = newRun(at);
          runs.push(current);
        }
        const success = isSuccess(msg);
        // The first outcome line wins (systemd prints several for one failure).
        if (current.outcome === undefined || (current.outcome === "success" && !success)) {
          current.outcome = success ? "success" : "failure";
          current.endedAt = at;
        }
        if (!success) {
          current.errors.add(path, cursor.lineNo, at, line);
          const reason = reasonOf(msg);
          if (reason) current.reasons.add(reason);
        } else current.evidence.add(path, cursor.lineNo, at, line);
        return;
      }
      return;
    }

    // Output of pull-sandbox-image.sh (and the aws / crictl commands it runs).
    if (!current) {
      current = newRun(at);
      runs.push(current);
    }
    const ref = IMAGE_REF.exec(msg);
    if (ref) image = (ref[1] ?? ref[2] ?? ref[3]) as string;
    if (/Skipping \.\.\. sandbox_image '[^']*' is already present/.test(msg)) {
      current.cached = true;
      current.evidence.add(path, cursor.lineNo, at, line);
      return;
    }
    if (/missing sandbox_image/.test(msg)) {
      current.configMissing = true;
      current.evidence.add(path, cursor.lineNo, at, line);
      return;
    }
    const attempt = /^Attempt (\d+) of \d+/.exec(msg);
    if (attempt) {
      current.attempts = Math.max(current.attempts, Number(attempt[1]) + 1);
      return;
    }
    if (/Image is up to date for|Pulled image|Successfully pulled|^done: [\d.]+m?s$/.test(msg)) {
      current.evidence.add(path, cursor.lineNo, at, line);
      return;
    }
    if (
      /Unable to retrieve the ECR password|GetAuthorizationToken|Unable to locate credentials|get-login-password/.test(
        msg,
      )
    ) {
      current.ecrLogin.add(path, cursor.lineNo, at, line);
      const reason = reasonOf(msg);
      if (reason) current.ecrReasons.add(reason);
      return;
    }
    if (/Could not connect to the endpoint URL|Connect timeout on endpoint URL|An error occurred \(/.test(msg)) {
      current.ecrLogin.add(path, cursor.lineNo, at, line);
      current.ecrReasons.add(reasonOf(msg) ?? "other");
      return;
    }
    if (
      /level=fatal|level=error|PullImage from image service failed|failed to pull|pulling image:|failed to resolve reference|Unauthorized|no basic auth credentials|^E\d{4} |^ctr: |error:/i.test(
        msg,
      )
    ) {
      current.errors.add(path, cursor.lineNo, at, line);
      current.reasons.add(reasonOf(msg) ?? "other");
    }
  });
  if (!ok) return [];
  if (journalLines === 0) {
    if (noEntries) {
      return [
        {
          kind: "sandbox-image.no-entries",
          severity: "info",
          summary:
            "journalctl has no entries for sandbox-image.service: the unit did not run on this boot (the pause image came from the AMI or containerd)",
          evidence: [{ source: path, line: noEntries.line, excerpt: noEntries.text }],
          count: 1,
          attributes: {},
          correlateWith: ["read_containerd_log", "read_kubelet_journal"],
        },
      ];
    }
    ctx.read.gap(path, "no journal lines in the sandbox-image log");
    return [];
  }
  // Look for the pause image reference in containerd's config when the log does not name it.
  image ??= await sandboxImageFromContainerdConfig(ctx);

  const findings: FindingDraft[] = [];
  const last = runs.at(-1);
  const lastFailed =
    last !== undefined && (last.outcome === "failure" || (last.outcome === undefined && last.errors.count > 0));
  const correlate = ["read_containerd_log", "read_kubelet_journal", "read_kubelet_config"];
  const imageAttr: FindingDraft["attributes"] = image ? { image } : {};

  for (const run of runs) {
    const isLast = run === last;
    const failed = run.outcome === "failure" || (run.outcome === undefined && run.errors.count > 0);
    if (failed) {
      const reason = REASON_ORDER.find((r) => run.reasons.has(r) || run.ecrReasons.has(r)) ?? "other";
      const severity: Severity = isLast ? "high" : "info";
      const notes: string[] = [];
      if (!isLast) notes.push("a later run of the unit succeeded");
      else if (run.outcome === undefined) notes.push("the unit was still retrying when the logs were collected");
      if (isLast && run.endedAt !== undefined && Number.isFinite(ctx.window.end))
        notes.push(`${humanDuration(ctx.window.end - run.endedAt)} before the window's end; nothing pulled it since`);
      const occ = run.errors.count > 0 ? run.errors : run.ecrLogin;
      const draft: FindingDraft = {
        kind: "sandbox-image.pull-failed",
        severity,
        summary: `sandbox-image.service could not pull the pause image${image ? ` ${image}` : ""} (reason: ${reason}, ${run.attempts} attempt${run.attempts === 1 ? "" : "s"})${notes.length ? `; ${notes.join("; ")}` : ""}`,
        evidence: occ.evidence,
        count: Math.max(1, occ.count),
        attributes: {
          ...imageAttr,
          reason,
          reasons: [...new Set([...run.reasons, ...run.ecrReasons])].sort(),
          attempts: run.attempts,
          final: isLast,
          recovered: !isLast,
          inProgress: run.outcome === undefined,
        },
        correlateWith: correlate,
      };
      if (occ.firstSeen) draft.firstSeen = occ.firstSeen;
      if (occ.lastSeen) draft.lastSeen = occ.lastSeen;
      findings.push(draft);
    }
    if (run.ecrLogin.count > 0) {
      const severity: Severity = isLast && failed ? "medium" : "info";
      const reason = REASON_ORDER.find((r) => run.ecrReasons.has(r)) ?? "other";
      const draft: FindingDraft = {
        kind: "sandbox-image.ecr-login-failed",
        severity,
        summary: `aws ecr get-login-password failed for the sandbox image pull (reason: ${reason})${failed ? "" : "; the pull still succeeded"}`,
        evidence: run.ecrLogin.evidence,
        count: run.ecrLogin.count,
        attributes: { reason, final: isLast, pullSucceeded: !failed },
        correlateWith: ["read_kubelet_config", "read_containerd_log"],
      };
      if (run.ecrLogin.firstSeen) draft.firstSeen = run.ecrLogin.firstSeen;
      if (run.ecrLogin.lastSeen) draft.lastSeen = run.ecrLogin.lastSeen;
      findings.push(draft);
    }
  }

  if (last && !lastFailed) {
    const evidence = last.evidence;
    const base = { evidence: evidence.evidence, count: 1, correlateWith: correlate } as const;
    const when = last.endedAt ?? last.startedAt;
    let draft: FindingDraft | undefined;
    if (last.configMissing) {
      draft = {
        ...base,
        kind: "sandbox-image.config-missing",
        severity: "info",
        summary: "containerd's config.toml names no sandbox_image: the sandbox-image unit pulled nothing",
        attributes: {},
      };
    } else if (last.cached) {
      draft = {
        ...base,
        kind: "sandbox-image.cached",
        severity: "info",
        summary: `The pause image${image ? ` ${image}` : ""} was already present when the node booted (the unit skipped the pull)`,
        attributes: { ...imageAttr },
      };
    } else if (last.outcome === "success") {
      draft = {
        ...base,
        kind: "sandbox-image.pulled",
        severity: "info",
        summary: `sandbox-image.service pulled the pause image${image ? ` ${image}` : ""}${last.attempts > 1 ? ` after ${last.attempts} attempts` : ""}`,
        attributes: { ...imageAttr, attempts: last.attempts, runs: runs.length },
      };
    }
    if (draft) {
      const seen = iso(when);
      if (seen) draft.lastSeen = seen;
      findings.push(draft);
    }
  }
  return findings;
}

async function sandboxImageFromContainerdConfig(ctx: AnalyzerContext): Promise<string | undefined> {
  const [path] = await ctx.read.paths("containerdConfig");
  if (!path) return undefined;
  const size = await ctx.read.size(path);
  if (size === undefined || size > 4 << 20) return undefined;
  const read = await ctx.read.textAt(path);
  if (read.state !== "ok") return undefined;
  // containerd 1.x `sandbox_image = "…"`, 2.x `sandbox = '…'` under pinned_images.
  const m = /^\s*(?:sandbox_image|sandbox)\s*=\s*["']([^"']+)["']/m.exec(read.text);
  return m?.[1];
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
