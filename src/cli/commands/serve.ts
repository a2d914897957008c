import { parseArgs } from "node:util";
import { createBundleFolderProvider } from "../../evidence/bundle-folder.ts";
import { createLogger } from "../../logger.ts";
import { createRemediationActors } from "../../remediation/actors.ts";
import { createServeApp } from "../../serve/app.ts";
import { createRulesReasoner } from "../../synthesis/rules-reasoner.ts";
import { createCertificateCache } from "../../triggers/index.ts";
import { CliError } from "../cli-error.ts";
import { openRemediationSession, verifierFor } from "../remediation-session.ts";
import { parseDuration } from "../time-args.ts";
import { TOOLS } from "../../../tools/index.ts";
import { loadRuleSet } from "../rules.ts";

const USAGE = `Usage: fathom serve --bundles <dir> [--host 127.0.0.1] [--port 8080] [--store <path>] [--policy <file>]
                    [--max-body 1048576] [--queue 100] [--concurrency 2] [--stale-after 6h] [--tool-latency <ms>]
                    [--rules <file>…]
  Receives alarms and investigates each incident once, durably:
    POST /webhooks/alertmanager   Alertmanager webhook (v4); Authorization: Bearer $FATHOM_ALERTMANAGER_TOKEN
    POST /webhooks/sns            Amazon SNS (CloudWatch alarms), verified by signature; topics in $FATHOM_SNS_TOPIC_ARNS
    POST /webhooks/eventbridge    EventBridge alarm state changes; x-api-key or Bearer $FATHOM_EVENTBRIDGE_API_KEY
    GET  /investigations/:id      status and report; Authorization: Bearer $FATHOM_API_TOKEN
    GET  /healthz, GET /metrics
  Evidence comes from --bundles (newest bundle per node). Proposals wait for fathom approve.
  Secrets are read from the environment (comma-separated lists allow rotation); every receiver refuses
  requests when its secret is not configured.`;

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export async function runServeCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        bundles: { type: "string" },
        rules: { type: "string", multiple: true },
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "8080" },
        store: { type: "string" },
        policy: { type: "string" },
        "max-body": { type: "string", default: String(1024 * 1024) },
        queue: { type: "string", default: "100" },
        concurrency: { type: "string", default: "2" },
        "stale-after": { type: "string", default: "6h" },
        "tool-latency": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.bundles) throw new CliError(`--bundles <dir> is required (where node bundles arrive)\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be 0–65535, not "${values.port}"`);
  const numeric = (name: string, value: string, min: number, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer ${min}–${max}`);
    return n;
  };
  const logger = createLogger({ level: process.env.FATHOM_LOG_LEVEL ?? "info" });
  const session = await openRemediationSession(
    { ...(values.store ? { store: values.store } : {}), ...(values.policy ? { policy: values.policy } : {}) },
    logger,
  );
  const verify = verifierFor(logger);
  const app = createServeApp({
    tools: TOOLS,
    store: session.store,
    provider: createBundleFolderProvider(values.bundles),
    bundlesDir: values.bundles,
    reasoner: createRulesReasoner(await loadRuleSet(values.rules ?? [])),
    remediation: {
      actors: createRemediationActors({
        store: session.store,
        policy: session.policy,
        executor: session.executor,
        verify,
        target: session.target,
        now: () => new Date(),
        logger,
      }),
      approvalTtlMs: session.policy?.approval.ttlMs ?? 15 * 60_000,
    },
    logger,
    auth: {
      alertmanagerTokens: list(process.env.FATHOM_ALERTMANAGER_TOKEN),
      eventbridgeKeys: list(process.env.FATHOM_EVENTBRIDGE_API_KEY),
      snsTopicArns: list(process.env.FATHOM_SNS_TOPIC_ARNS),
      apiTokens: list(process.env.FATHOM_API_TOKEN),
    },
    allowedClusters: session.policy?.scope.clusters,
    fetchCertificate: createCertificateCache(async (url) => {
      const res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`certificate fetch answered ${res.status}`);
      return res.text();
    }),
    confirmSubscription: async (url) => {
      const res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`subscription confirmation answered ${res.status}`);
    },
    limits: {
      maxBodyBytes: numeric("max-body", values["max-body"], 1024, 64 * 1024 * 1024),
      queueLimit: numeric("queue", values.queue, 1, 100_000),
      concurrency: numeric("concurrency", values.concurrency, 1, 64),
      staleAfterMs: parseDuration(values["stale-after"]),
      retryAfterSeconds: 5,
    },
    ...(values["tool-latency"] ? { toolLatencyMs: numeric("tool-latency", values["tool-latency"], 0, 60_000) } : {}),
  });
  const url = await app.listen(values.host, port);
  const resumed = app.resume();
  process.stderr.write(
    `fathom serve: listening on ${url}${resumed ? `; resumed ${resumed} unfinished investigation(s)` : ""}\n`,
  );
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  await app.close();
  session.close();
  return 0;
}
