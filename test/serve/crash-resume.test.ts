import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { bundlesWithFault, TOKENS } from "./helpers.ts";

const root = join(import.meta.dirname, "..", "..");
let bundles: Awaited<ReturnType<typeof bundlesWithFault>>;
let dir: string;

beforeAll(async () => {
  bundles = await bundlesWithFault();
  dir = await mkdtemp(join(tmpdir(), "fathom-crash-"));
});
afterAll(async () => {
  await bundles.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function startServe(store: string, policy: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      join(root, "bin", "fathom.mjs"),
      "serve",
      "--bundles",
      bundles.dir,
      "--store",
      store,
      "--policy",
      policy,
      "--port",
      String(port),
      "--tool-latency",
      "300",
      "--concurrency",
      "1",
    ],
    {
      env: {
        ...process.env,
        FATHOM_ALERTMANAGER_TOKEN: TOKENS.alertmanager,
        FATHOM_API_TOKEN: TOKENS.api,
        FATHOM_LOG_LEVEL: "error",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      const m = /listening on (http:\/\/\S+?)(;|\s|$)/.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, url };
}

function readStore<T>(path: string, read: (s: ReturnType<typeof openStore>) => T): T {
  const s = openStore(path);
  try {
    return read(s);
  } finally {
    s.close();
  }
}

describe("fathom serve killed in the middle of an investigation", () => {
  it("completes the investigation exactly once after a restart: one report, one pending proposal, an intact audit trail", async () => {
    const store = join(dir, "crash.db");
    const policy = join(dir, "policy.yaml");
    await writeFile(
      policy,
      `apiVersion: fathom/v1\nscope: { accounts: ['111122223333'], regions: [us-east-1], clusters: [prod-shop] }\nexecution: { assumeRole: 'arn:aws:iam::111122223333:role/fathom-remediation' }\ndocuments: { allow: [Fathom-RaiseConntrackLimit] }\napproval: { ttl: 15m, approvers: [${userInfo().username}] }\n`,
    );
    const port = 20_000 + (process.pid % 20_000);
    const first = await startServe(store, policy, port);
    const alert = {
      version: "4",
      status: "firing",
      receiver: "fathom",
      groupKey: '{}:{alertname="NodeNetworkDrops"}',
      truncatedAlerts: 0,
      groupLabels: { alertname: "NodeNetworkDrops" },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: "http://alertmanager.example:9093",
      alerts: [
        {
          status: "firing",
          labels: { alertname: "NodeNetworkDrops", node: "ip-10-0-12-34.ec2.internal", cluster: "prod-shop" },
          annotations: {},
          startsAt: "2026-11-24T10:25:00Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "http://prometheus/graph",
          fingerprint: "a1b2c3d4e5f60718",
        },
      ],
    };
    const res = await fetch(`${first.url}/webhooks/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.alertmanager}` },
      body: JSON.stringify(alert),
    });
    expect(res.status).toBe(202);
    // Kill it once the lanes are running (tool calls take 300 ms each).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const state = readStore(store, (s) => s.listInvestigations()[0]?.state);
      if (state === "investigating") break;
      if (Date.now() > deadline) throw new Error(`never saw the investigation running (state ${state})`);
      await sleep(50);
    }
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    expect(
      readStore(store, (s) => s.getInvestigation(s.listInvestigations()[0]?.id as string)?.report),
    ).toBeUndefined();

    const second = await startServe(store, policy, port);
    try {
      const end = Date.now() + 60_000;
      for (;;) {
        const done = readStore(store, (s) => s.listInvestigations()[0]);
        if (done && done.state === "awaitingApproval") break;
        if (Date.now() > end) throw new Error(`the resumed investigation did not finish (state ${done?.state})`);
        await sleep(100);
      }
      // A re-sent group after the restart attaches to the same incident.
      await fetch(`${second.url}/webhooks/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKENS.alertmanager}` },
        body: JSON.stringify(alert),
      });
      readStore(store, (s) => {
        const investigations = s.listInvestigations();
        expect(investigations).toHaveLength(1);
        const id = investigations[0]?.id as string;
        expect(s.getInvestigation(id)?.report?.rootCauses[0]?.id).toBe("net.conntrack-exhaustion");
        expect(s.listProposals({ investigationId: id })).toHaveLength(1);
        expect(s.listProposals({ investigationId: id })[0]?.status).toBe("pending");
        expect(
          s.listAudit({ type: "proposal" }).filter((a) => (a.data as { event?: string }).event !== "status"),
        ).toHaveLength(1);
        expect(s.verifyAudit().ok).toBe(true);
      });
    } finally {
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));
    }
  });
});
