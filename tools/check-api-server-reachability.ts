import type { Severity } from "../src/domain/severity.ts";
import { splitLines } from "../src/evidence/lines.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "apiserver.reachable": kind(
    "curl from the node reached the cluster endpoint and livez answered (fact: host, HTTP status)",
    {
      status: attr.number("HTTP status code livez answered with"),
      host: attr.text("Host name or address curl connected to (from the curl -v output)"),
      livezPassed: attr.flag('Whether the answer says "livez check passed"'),
    },
  ),
  "apiserver.connect-failed": kind(
    "curl could not connect to the cluster endpoint (timeout, refused, no route): evidence for node.apiserver-unreachable",
    { host: attr.text("Host name or address curl connected to or tried (from the curl -v output)") },
  ),
  "apiserver.dns-failure": kind("curl could not resolve the cluster endpoint's name", {
    host: attr.text("Host name or address curl connected to or tried (from the curl -v output)"),
  }),
  "apiserver.tls-unknown-authority": kind(
    "TLS failed: the API server's certificate is not signed by the CA the node has (bootstrap wrote a wrong CA)",
    { host: attr.text("Host name or address curl connected to or tried (from the curl -v output)") },
  ),
  "apiserver.tls-expired": kind("TLS failed: a certificate has expired (with a sane clock: an expired certificate)", {
    host: attr.text("Host name or address curl connected to or tried (from the curl -v output)"),
  }),
  "apiserver.tls-not-yet-valid": kind(
    "TLS failed: a certificate is not yet valid by the node's clock (the clock is behind)",
    { host: attr.text("Host name or address curl connected to or tried (from the curl -v output)") },
  ),
  "apiserver.tls-error": kind("Other TLS failures talking to the cluster endpoint", {
    host: attr.text("Host name or address curl connected to or tried (from the curl -v output)"),
  }),
  "apiserver.http-error": kind(
    "The endpoint answered with an HTTP error (401/403/5xx) or livez reported failed checks",
    {
      status: attr.number("HTTP status code the endpoint answered with"),
      failedChecks: attr.texts('livez lines reporting a failed check ("[-]…"), trimmed; empty when none'),
    },
  ),
};
type Kind = keyof typeof KINDS;

const RULES: Array<{ kind: Kind; test: RegExp; severity: Severity }> = [
  {
    kind: "apiserver.dns-failure",
    test: /Could not resolve host|Couldn't resolve host|Name or service not known|Temporary failure in name resolution/i,
    severity: "high",
  },
  {
    kind: "apiserver.tls-unknown-authority",
    test: /unable to get local issuer certificate|self[- ]signed certificate in certificate chain|certificate signed by unknown authority|unknown ca/i,
    severity: "high",
  },
  { kind: "apiserver.tls-expired", test: /certificate has expired|certificate expired/i, severity: "high" },
  { kind: "apiserver.tls-not-yet-valid", test: /certificate is not yet valid/i, severity: "high" },
  {
    kind: "apiserver.tls-error",
    test: /SSL certificate problem|SSL_ERROR_|TLS handshake timeout|SSL connect error|alert handshake failure|SSL routines|OpenSSL SSL_connect/i,
    severity: "medium",
  },
  {
    kind: "apiserver.connect-failed",
    test: /Connection timed out|Operation timed out|Failed to connect to|Connection refused|No route to host|Network is unreachable|connect to .* failed|Resolving timed out|timed out after \d+ milliseconds/i,
    severity: "high",
  },
];

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const read = await ctx.read.text("curlApiServer", 4 * 1024 * 1024);
  if (read.state !== "ok") return [];
  const lines = splitLines(read.text);
  if (lines.every((l) => l.trim() === "")) {
    ctx.read.gap(read.path, "file is empty");
    return [];
  }
  const host = /(?:Trying|Connected to) ([^\s(]+)/.exec(read.text)?.[1] ?? /https:\/\/([^/\s:]+)/.exec(read.text)?.[1];
  const findings: FindingDraft[] = [];
  for (const rule of RULES) {
    const index = lines.findIndex((l) => rule.test.test(l));
    if (index < 0) continue;
    findings.push({
      kind: rule.kind,
      severity: rule.severity,
      summary: `${KINDS[rule.kind].description.split(":")[0]}${host ? ` (${host})` : ""}`,
      evidence: [makeLocator(read.path, index + 1, undefined, lines[index] ?? "")],
      count: lines.filter((l) => rule.test.test(l)).length,
      attributes: host ? { host } : {},
      correlateWith: rule.kind.startsWith("apiserver.tls")
        ? ["read_kubelet_config", "read_bootstrap_logs"]
        : ["read_kubelet_config", "check_resolv_conf"],
    });
    break;
  }
  const statusIndex = lines.findIndex((l) => /^< HTTP\/[\d.]+ \d{3}/.test(l));
  const status = statusIndex >= 0 ? Number(/ (\d{3})/.exec(lines[statusIndex] ?? "")?.[1]) : undefined;
  const failedChecks = lines.filter((l) => /^\[-\]/.test(l.trim())).map((l) => l.trim());
  if (status !== undefined && findings.length === 0) {
    if (status >= 400 || failedChecks.length > 0) {
      findings.push({
        kind: "apiserver.http-error",
        severity: status >= 500 || failedChecks.length ? "medium" : "low",
        summary: `The cluster endpoint answered HTTP ${status}${failedChecks.length ? ` with ${failedChecks.length} failed livez checks` : ""}`,
        evidence: [
          makeLocator(read.path, statusIndex + 1, undefined, lines[statusIndex] ?? ""),
          ...failedChecks.slice(0, 2).map((c) => makeLocator(read.path, undefined, undefined, c)),
        ],
        count: 1,
        attributes: { status, failedChecks },
        correlateWith: ["read_kubelet_journal"],
      });
    } else {
      findings.push({
        kind: "apiserver.reachable",
        severity: "info",
        summary: `The node reached the cluster endpoint${host ? ` ${host}` : ""} (HTTP ${status})`,
        evidence: [makeLocator(read.path, statusIndex + 1, undefined, lines[statusIndex] ?? "")],
        count: 1,
        attributes: { status, ...(host ? { host } : {}), livezPassed: /livez check passed/.test(read.text) },
        correlateWith: [],
      });
    }
  }
  return findings;
}

export const checkApiServerReachability = defineTool({
  name: "check_api_server_reachability",
  title: "API server reachability",
  lane: "runtime",
  description:
    "Reads the collector's curl -v to the cluster endpoint (networking/curl_api_server.txt): whether the node connects, resolves the name, completes TLS with the CA it has, and what livez answers. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Next: read_kubelet_config (endpoint and CA), read_bootstrap_logs (what bootstrap wrote), check_resolv_conf (DNS).",
  sources: ["curlApiServer"],
  kinds: KINDS,
  input: {},
  analyze,
});
