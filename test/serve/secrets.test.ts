import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBundleFolderProvider } from "../../src/evidence/bundle-folder.ts";
import { appendLines } from "../../src/fixtures/append-lines.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { FAULTS } from "../../src/fixtures/faults/index.ts";
import { writeBundleDir } from "../../src/fixtures/write-bundle.ts";
import { createLogger } from "../../src/logger.ts";
import { createServeApp } from "../../src/serve/app.ts";
import { openStore } from "../../src/store/index.ts";
import { TOKENS } from "./helpers.ts";
import { TOOLS } from "../../tools/index.ts";
import { rulesReasoner } from "../helpers/rules.ts";

const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY";
const ACCESS_KEY = "AKIAQWERTYUIOPASDFGH";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fathom-serve-secrets-"));
  const files = withFaults({}, (FAULTS["conntrack-table-full"] as () => never)());
  appendLines(files, "kubelet/kubelet.log", [
    `Nov 24 10:25:01 ip-10-0-12-34.ec2.internal kubelet[2345]: E1124 10:25:01.000001    2345 kubelet.go:2400] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m10s ago" env="AWS_SECRET_ACCESS_KEY=${SECRET_KEY} AWS_ACCESS_KEY_ID=${ACCESS_KEY}"`,
  ]);
  appendLines(files, "var_log/messages", [
    `Nov 24 10:25:02 ip-10-0-12-34 kernel: nf_conntrack: table full, dropping packet token=${SECRET_KEY}`,
  ]);
  await writeBundleDir(files, join(dir, "bundles", "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("secrets planted in a bundle, in serve mode", () => {
  it("appear neither in the store file, nor in the logs, nor in any API response", async () => {
    const storePath = join(dir, "fathom.db");
    const store = openStore(storePath);
    const logs = new PassThrough();
    let logged = "";
    logs.on("data", (d: Buffer) => (logged += d.toString()));
    const app = createServeApp({
      tools: TOOLS,
      store,
      provider: createBundleFolderProvider(join(dir, "bundles")),
      bundlesDir: join(dir, "bundles"),
      reasoner: rulesReasoner(),
      remediation: undefined,
      logger: createLogger({ level: "debug", destination: logs }),
      auth: {
        alertmanagerTokens: [TOKENS.alertmanager],
        eventbridgeKeys: [],
        snsTopicArns: [],
        apiTokens: [TOKENS.api],
      },
      allowedClusters: undefined,
      fetchCertificate: async () => Promise.reject(new Error("none")),
      confirmSubscription: async () => undefined,
      limits: {
        maxBodyBytes: 1 << 20,
        queueLimit: 10,
        concurrency: 1,
        staleAfterMs: 6 * 3_600_000,
        retryAfterSeconds: 5,
      },
    });
    const url = await app.listen("127.0.0.1", 0);
    try {
      const alert = {
        version: "4",
        status: "firing",
        receiver: "fathom",
        groupKey: "{}",
        truncatedAlerts: 0,
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: "http://am",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "NodeNetworkDrops", node: "ip-10-0-12-34.ec2.internal" },
            annotations: { note: `password=${SECRET_KEY}` },
            startsAt: "2026-11-24T10:25:00Z",
            endsAt: "0001-01-01T00:00:00Z",
            generatorURL: "",
            fingerprint: "f00d",
          },
        ],
      };
      const posted = await fetch(`${url}/webhooks/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.alertmanager}` },
        body: JSON.stringify(alert),
      });
      const answer = await posted.text();
      await app.idle();
      const id = store.listInvestigations()[0]?.id as string;
      const shown = await (
        await fetch(`${url}/investigations/${id}`, { headers: { authorization: `Bearer ${TOKENS.api}` } })
      ).text();
      expect(shown).toContain("[REDACTED]");
      for (const text of [answer, shown, logged]) {
        expect(text).not.toContain(SECRET_KEY);
        expect(text).not.toContain(ACCESS_KEY);
      }
    } finally {
      await app.close();
      store.close();
    }
    const bytes = Buffer.concat([
      await readFile(storePath),
      await readFile(`${storePath}-wal`).catch(() => Buffer.alloc(0)),
    ]).toString("latin1");
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes).not.toContain(SECRET_KEY);
    expect(bytes).not.toContain(ACCESS_KEY);
  });
});
