import { createServer, type Server } from "node:http";
import type { InvestigationContext } from "../domain/investigation.ts";
import type { EvidenceProvider } from "../evidence/bundle-folder.ts";
import type { Logger } from "../logger.ts";
import type { RemediationActors } from "../../workflows/investigation.machine.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import type { Store } from "../store/types.ts";
import type { ToolDefinition } from "../toolkit/tool-definition.ts";
import type { CertificateSource } from "../triggers/index.ts";
import { createServeHandler, type ServeAuth } from "./http.ts";
import { runDurableInvestigation } from "./investigator.ts";
import { createServeMetrics } from "./metrics.ts";
import { createWorkQueue } from "./work-queue.ts";

export interface ServeAppDeps {
  store: Store;
  provider: EvidenceProvider;
  /** The diagnostic tools lanes call (the composition root's list). */
  tools: readonly ToolDefinition[];
  bundlesDir: string;
  reasoner: Reasoner;
  remediation: { actors: RemediationActors; approvalTtlMs: number } | undefined;
  logger: Logger;
  auth: ServeAuth;
  allowedClusters: readonly string[] | undefined;
  fetchCertificate: CertificateSource;
  confirmSubscription: (url: string) => Promise<void>;
  limits: {
    maxBodyBytes: number;
    queueLimit: number;
    concurrency: number;
    staleAfterMs: number;
    retryAfterSeconds: number;
  };
  toolLatencyMs?: number;
}

export interface ServeApp {
  server: Server;
  listen(host: string, port: number): Promise<string>;
  /** Picks up investigations a previous process left unfinished. Returns how many. */
  resume(): number;
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** `fathom serve` without the CLI: testable in-process, started by the CLI's composition root. */
export function createServeApp(deps: ServeAppDeps): ServeApp {
  const metrics = createServeMetrics();
  const queue = createWorkQueue({
    concurrency: deps.limits.concurrency,
    limit: deps.limits.queueLimit,
    onError: (id, error) => deps.logger.error({ investigationId: id, err: error }, "investigation failed"),
  });
  const investigatorDeps = {
    store: deps.store,
    tools: deps.tools,
    provider: deps.provider,
    reasoner: deps.reasoner,
    remediation: deps.remediation ? { ...deps.remediation, bundlesDir: deps.bundlesDir } : undefined,
    staleAfterMs: deps.limits.staleAfterMs,
    logger: deps.logger,
    ...(deps.toolLatencyMs ? { toolLatencyMs: deps.toolLatencyMs } : {}),
  };
  const run = async (id: string, incident: InvestigationContext["incident"], snapshot?: unknown) => {
    const started = performance.now();
    const final = await runDurableInvestigation(id, incident, investigatorDeps, snapshot);
    metrics.investigationFinished(final, performance.now() - started);
  };
  const handler = createServeHandler({
    store: deps.store,
    queue,
    metrics,
    logger: deps.logger,
    auth: deps.auth,
    maxBodyBytes: deps.limits.maxBodyBytes,
    allowedClusters: deps.allowedClusters,
    fetchCertificate: deps.fetchCertificate,
    confirmSubscription: deps.confirmSubscription,
    retryAfterSeconds: deps.limits.retryAfterSeconds,
    investigate: (id, alarm) => run(id, alarm.incident),
  });
  const server = createServer((req, res) => void handler(req, res));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(`http://${host}:${typeof address === "object" && address ? address.port : port}`);
        });
      }),
    resume() {
      let resumed = 0;
      for (const record of deps.store.resumableInvestigations()) {
        if (record.state === "awaitingApproval") continue;
        const snapshot = record.snapshot as { context?: InvestigationContext } | undefined;
        const incident =
          snapshot?.context?.incident ??
          (record.incidentKey
            ? deps.store.listAlarms({ incidentKey: record.incidentKey, limit: 1 })[0]?.incident
            : undefined);
        if (!incident) {
          deps.logger.warn({ investigationId: record.id }, "cannot resume: no incident recorded");
          continue;
        }
        if (queue.offer(record.id, () => run(record.id, incident, snapshot?.context ? record.snapshot : undefined)))
          resumed += 1;
      }
      return resumed;
    },
    idle: () => queue.idle(),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await queue.close();
    },
  };
}
