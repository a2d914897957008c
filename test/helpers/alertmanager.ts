import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * A real Prometheus Alertmanager (Debian's package) on loopback whose webhook receiver points at
 * fathom serve. Fails loudly — never skips — when it cannot start: .ci/run installs the package.
 */
export async function startAlertmanager(
  webhookUrl: string,
  token: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  if (!existsSync(ALERTMANAGER_BIN))
    throw new Error(`${ALERTMANAGER_BIN} is missing: install Debian's prometheus-alertmanager (.ci/run does)`);
  const dir = await mkdtemp(join(tmpdir(), "fathom-am-"));
  const port = await freePort();
  const config = join(dir, "alertmanager.yml");
  await writeFile(
    config,
    [
      "route:",
      "  receiver: fathom",
      "  group_by: ['alertname', 'node']",
      "  group_wait: 0s",
      "  group_interval: 1s",
      "  repeat_interval: 2s",
      "receivers:",
      "  - name: fathom",
      "    webhook_configs:",
      `      - url: '${webhookUrl}'`,
      "        send_resolved: true",
      "        http_config:",
      "          authorization:",
      `            credentials: '${token}'`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (log = (log + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode}): ${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`alertmanager did not become ready: ${log}`);
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Posts alerts to Alertmanager's API as Prometheus would. */
export async function fireAlerts(
  alertmanagerUrl: string,
  alerts: Array<{
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    startsAt?: string;
    endsAt?: string;
  }>,
): Promise<void> {
  const res = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(alerts),
  });
  if (!res.ok) throw new Error(`alertmanager refused the alerts: ${res.status} ${await res.text()}`);
}
