import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withFaults } from "../../src/fixtures/fault.ts";
import { FAULTS } from "../../src/fixtures/faults/index.ts";
import { writeBundleDir } from "../../src/fixtures/write-bundle.ts";
import { createBundleFolderProvider } from "../../src/evidence/bundle-folder.ts";
import { silentLogger } from "../../src/logger.ts";
import { createServeApp, type ServeApp } from "../../src/serve/app.ts";
import { openStore } from "../../src/store/index.ts";
import type { Store } from "../../src/store/types.ts";
import type { CertificateSource } from "../../src/triggers/index.ts";
import { parsePolicy, type Policy } from "../../src/policy/policy.ts";
import { createRemediationActors } from "../../src/remediation/actors.ts";
import { userInfo } from "node:os";
import { TOOLS } from "../../tools/index.ts";
import { rulesReasoner } from "../helpers/rules.ts";

/** A policy that lets fathom propose (never run) the conntrack fix on the test node's cluster. */
export function testPolicy(): Policy {
  return parsePolicy(
    `apiVersion: fathom/v1\nscope: { accounts: ['111122223333'], regions: [us-east-1], clusters: [prod-shop] }\nexecution: { assumeRole: 'arn:aws:iam::111122223333:role/fathom-remediation' }\ndocuments: { allow: [Fathom-RaiseConntrackLimit] }\napproval: { ttl: 15m, approvers: [${userInfo().username}] }\n`,
    "test-policy.yaml",
  );
}

export const TOKENS = {
  alertmanager: "am-token-0123456789abcdef",
  eventbridge: "eb-key-0123456789abcdef",
  api: "api-token-0123456789abcdef",
};

/** A bundles folder holding one node with a conntrack-table-full fault (collected 2026-11-24 10:30 UTC). */
export async function bundlesWithFault(
  fault = "conntrack-table-full",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "fathom-serve-bundles-"));
  await writeBundleDir(
    withFaults({}, (FAULTS[fault] as () => never)()),
    join(dir, "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9"),
  );
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function startServe(options: {
  bundles: string;
  fetchCertificate?: CertificateSource;
  topics?: string[];
  queueLimit?: number;
  concurrency?: number;
  maxBodyBytes?: number;
  store?: string;
  policy?: Policy;
}): Promise<{
  app: ServeApp;
  url: string;
  store: Store;
  storePath: string;
  confirmed: string[];
  stop: () => Promise<void>;
}> {
  const scratch = await mkdtemp(join(tmpdir(), "fathom-serve-store-"));
  const storePath = options.store ?? join(scratch, "fathom.db");
  const store = openStore(storePath);
  const confirmed: string[] = [];
  const app = createServeApp({
    tools: TOOLS,
    store,
    provider: createBundleFolderProvider(options.bundles),
    bundlesDir: options.bundles,
    reasoner: rulesReasoner(),
    remediation: options.policy
      ? {
          actors: createRemediationActors({
            store,
            policy: options.policy,
            executor: undefined,
            verify: async (p) => ({
              cleared: false,
              remaining: p.verification.clears,
              tool: p.verification.tool,
              source: "not verified in this test",
            }),
            target: { account: "111122223333", region: "us-east-1" },
            now: () => new Date(),
            logger: silentLogger(),
          }),
          approvalTtlMs: options.policy.approval.ttlMs,
        }
      : undefined,
    logger: silentLogger(),
    auth: {
      alertmanagerTokens: [TOKENS.alertmanager],
      eventbridgeKeys: [TOKENS.eventbridge],
      snsTopicArns: options.topics ?? [],
      apiTokens: [TOKENS.api],
    },
    allowedClusters: undefined,
    fetchCertificate:
      options.fetchCertificate ?? (async () => Promise.reject(new Error("no certificates in this test"))),
    confirmSubscription: async (url) => {
      confirmed.push(url);
    },
    limits: {
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      queueLimit: options.queueLimit ?? 100,
      concurrency: options.concurrency ?? 2,
      staleAfterMs: 6 * 3_600_000,
      retryAfterSeconds: 5,
    },
  });
  const url = await app.listen("127.0.0.1", 0);
  return {
    app,
    url,
    store,
    storePath,
    confirmed,
    stop: async () => {
      await app.idle();
      await app.close();
      store.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
