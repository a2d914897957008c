import { describe, expect, it } from "vitest";
import type { ToolReport } from "../../src/domain/tool-report.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { cgroupDriverMismatch, containerdDown, sandboxImageDeleted } from "../../src/fixtures/faults/runtime.ts";
import { goQuote } from "../../src/fixtures/format/go-quote.ts";
import { journalLine } from "../../src/fixtures/format/journald.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readContainerdLog } from "../../tools/read-containerd-log.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const LOG = "containerd/containerd-log.txt";
const CONFIG = "containerd/containerd-config.txt";
const HOST = "ip-10-0-12-34.ec2.internal";
const COLLECTED = Date.parse("2026-11-24T10:30:00Z");
const BOOT = COLLECTED - 3 * 86_400_000;
const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const PAUSE = "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10";
const PAUSE_ID = "sha256:873ed75102791e5b0b8a7fcd41606c92fcec98d56d05ead4ac5131650004c136";
const MIN = 60_000;

type Line = [number, string];
type LogrusLevel = "info" | "warning" | "error" | "fatal";

/** logrus' TextFormatter as containerd configures it (RFC3339Nano, values quoted when needed). */
function logrusLine(at: Date, level: LogrusLevel, msg: string, fields: Record<string, string | number>): string {
  const value = (v: string | number) =>
    typeof v === "number" || /^[A-Za-z0-9\-._/@^+]+$/.test(v) ? String(v) : goQuote(v);
  const time = at.toISOString().replace(/\.000Z$/, "Z");
  return [
    `time="${time}"`,
    `level=${level}`,
    `msg=${value(msg)}`,
    ...Object.entries(fields).map(([k, v]) => `${k}=${value(v)}`),
  ].join(" ");
}

function cd(
  at: number,
  level: LogrusLevel,
  msg: string,
  fields: Record<string, string | number> = {},
  pid = 2871,
): Line {
  return [at, journalLine(HOST, new Date(at), "containerd", pid, logrusLine(new Date(at), level, msg, fields))];
}

function sd(at: number, text: string): Line {
  return [at, journalLine(HOST, new Date(at), "systemd", 1, text)];
}

function render(lines: Line[]): string {
  return `${[...lines]
    .sort((a, b) => a[0] - b[0])
    .map(([, text]) => text)
    .join("\n")}\n`;
}

function containerdConfig(systemdCgroup = true, sandbox = PAUSE): string {
  return `disabled_plugins = []
imports = ["/etc/containerd/config.d/*.toml"]
root = "/var/lib/containerd"
state = "/run/containerd"
version = 2

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    enable_cdi = true
    sandbox_image = "${sandbox}"
    systemd_cgroup = false

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      discard_unpacked_layers = true
      snapshotter = "overlayfs"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            BinaryName = "/usr/sbin/runc"
            SystemdCgroup = ${systemdCgroup}
`;
}

/** What a healthy node's containerd journal holds: boot, the pause pull, pods coming and going, benign errors. */
function healthyLines(): Line[] {
  const start = BOOT + 10_800;
  const lines: Line[] = [
    sd(start - 60, "Starting containerd.service - containerd container runtime..."),
    cd(start, "info", "starting containerd", {
      revision: "05044ec0a9a75232cad458027ca83437aae3f4da",
      version: "1.7.27",
    }),
    cd(start + 3, "info", 'loading plugin "io.containerd.snapshotter.v1.devmapper"...', {
      type: "io.containerd.snapshotter.v1",
    }),
    cd(start + 4, "warning", "failed to load plugin io.containerd.snapshotter.v1.devmapper", {
      error: "devmapper not configured",
    }),
    cd(
      start + 40,
      "error",
      "failed to load cni during init, please check CRI plugin status before setting up network for pods",
      {
        error:
          "cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config",
      },
    ),
    cd(start + 60, "info", "containerd successfully booted in 0.045412s"),
    sd(start + 66, "Started containerd.service - containerd container runtime."),
    cd(
      start + 2600,
      "info",
      `ImageCreate event name:"${PAUSE}" labels:{key:"io.cri-containerd.image" value:"managed"}`,
    ),
    cd(
      start + 2620,
      "info",
      `ImageCreate event name:"${PAUSE_ID}" labels:{key:"io.cri-containerd.image" value:"managed"} labels:{key:"io.cri-containerd.pinned" value:"pinned"}`,
    ),
  ];
  // Two days of pods: a throttled pull that recovered, deletions with NotFound, probes, shim chatter.
  const redis = "docker.io/library/redis:7.2.4";
  const t = COLLECTED - 50 * MIN;
  lines.push(cd(t, "info", `PullImage "${redis}"`));
  lines.push(
    cd(t + 3000, "error", `PullImage "${redis}" failed`, {
      error: `failed to pull and unpack image "${redis}": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/redis/manifests/sha256:1b7a: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit`,
    }),
  );
  lines.push(
    cd(
      t + 5 * MIN,
      "info",
      `PullImage "${redis}" returns image reference "sha256:4b8fd4c7a1e2f7d3f0c1e9e3a2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"`,
    ),
  );
  for (let i = 0; i < 12; i += 1) {
    const at = BOOT + 86_400_000 + i * 3 * 3_600_000;
    const id = `${"9f3c2e1d".repeat(8)}`.slice(0, 56) + String(10_000_000 + i);
    lines.push(cd(at, "info", "shim disconnected", { id, namespace: "k8s.io" }));
    lines.push(cd(at + 1, "warning", "cleaning up after shim disconnected", { id, namespace: "k8s.io" }));
    lines.push(cd(at + 50, "info", `RemoveContainer for "${id}"`));
    lines.push(
      cd(at + 51, "error", `ContainerStatus for "${id}" failed`, {
        error: `rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found`,
      }),
    );
    lines.push(
      cd(at + 70, "error", `ExecSync for "${id}" failed`, {
        error:
          "rpc error: code = DeadlineExceeded desc = failed to exec in container: timeout 1s exceeded: context deadline exceeded",
      }),
    );
  }
  return lines;
}

/** Runs on `files` with a procstat whose btime dates this boot. */
async function run(files: Record<string, string | Uint8Array>, input: ToolInput = {}): Promise<ToolReport> {
  const all = { "system/procstat.txt": `cpu  1 2 3 4\nbtime ${Math.floor(BOOT / 1000)}\nprocesses 31337\n`, ...files };
  return runOn(readContainerdLog, all, input, { label: ARCHIVE });
}

function sandboxFailure(at: number, reason: string): Line[] {
  const meta =
    "&PodSandboxMetadata{Name:checkout-7d9f8b6c5d-x2k4p,Uid:3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b,Namespace:shop,Attempt:0,}";
  const pull = `failed to pull and unpack image "${PAUSE}": failed to resolve reference "${PAUSE}": ${reason}`;
  return [
    cd(at, "info", `RunPodSandbox for ${meta}`),
    cd(at + 2, "info", `PullImage "${PAUSE}"`),
    cd(at + 96, "error", `PullImage "${PAUSE}" failed`, { error: pull }),
    cd(at + 98, "error", `RunPodSandbox for ${meta} failed, error`, {
      error: `failed to get sandbox image "${PAUSE}": failed to pull image "${PAUSE}": ${pull}`,
    }),
  ];
}

describe("read_containerd_log", () => {
  it("raises nothing above info on a healthy node and reports the config hand-off", async () => {
    const report = await run({ [LOG]: render(healthyLines()), [CONFIG]: containerdConfig() });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "containerd.config")?.attributes).toMatchObject({
      sandboxImage: PAUSE,
      systemdCgroup: true,
      configVersion: 2,
      snapshotter: "overlayfs",
      defaultRuntime: "runc",
    });
    expect(kindOf(report, "containerd.status")?.attributes).toMatchObject({
      running: true,
      version: "1.7.27",
      startsThisBoot: 1,
      crashes: 0,
      benignErrors: 24,
    });
    expect(kindOf(report, "containerd.image-pull-failed")).toMatchObject({
      severity: "info",
      attributes: { cleared: true, reasons: ["throttled"] },
    });
    expect(kindOf(report, "containerd.errors")).toMatchObject({ severity: "info", attributes: { cleared: true } });
    expect(kindOf(report, "containerd.restarts")).toBeUndefined();
  });

  it("reports the sandbox image failing to pull with 401 Unauthorized as critical", async () => {
    const lines = [
      ...healthyLines(),
      ...sandboxFailure(
        COLLECTED - 20 * MIN,
        "unexpected status from HEAD request to https://602401143452.dkr.ecr.us-east-1.amazonaws.com/v2/eks/pause/manifests/3.10: 401 Unauthorized",
      ),
      ...sandboxFailure(COLLECTED - 5 * MIN, "401 Unauthorized"),
    ];
    const report = await run({ [LOG]: render(lines), [CONFIG]: containerdConfig() });
    const finding = kindOf(report, "containerd.sandbox-image-pull-failed");
    expect(finding).toMatchObject({ severity: "critical", count: 4, attributes: { reasons: ["auth"] } });
    expect(finding?.lastSeen).toBe(new Date(COLLECTED - 5 * MIN + 98).toISOString());
    expect(finding?.evidence[0]?.source).toBe(LOG);
    expect(kindOf(report, "containerd.image-pull-failed")?.severity).toBe("info");
  });

  it("recognises the no basic auth credentials variant even without the config dump", async () => {
    const lines = sandboxFailure(
      COLLECTED - 3 * MIN,
      "pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials",
    );
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.sandbox-image-pull-failed")).toMatchObject({
      severity: "critical",
      attributes: { reasons: ["auth"] },
    });
  });

  it("clears a sandbox pull failure once the image was pulled later", async () => {
    const lines = [
      ...sandboxFailure(COLLECTED - 40 * MIN, "dial tcp 52.94.1.1:443: i/o timeout"),
      cd(COLLECTED - 30 * MIN, "info", `PullImage "${PAUSE}" returns image reference "${PAUSE_ID}"`),
    ];
    const report = await run({ [LOG]: render(lines), [CONFIG]: containerdConfig() });
    expect(kindOf(report, "containerd.sandbox-image-pull-failed")).toMatchObject({
      severity: "info",
      attributes: { cleared: true, reasons: ["network"] },
    });
  });

  it("reports the pause image deleted by image GC once, tracking its id", async () => {
    const gc = COLLECTED - 27 * MIN;
    const lines = [
      ...healthyLines(),
      cd(BOOT + 13_000, "info", `PullImage "${PAUSE}" returns image reference "${PAUSE_ID}"`),
      cd(gc, "info", `RemoveImage "${PAUSE_ID}"`),
      cd(gc + 6, "info", `ImageDelete event name:"${PAUSE}"`),
      cd(gc + 7, "info", `ImageDelete event name:"${PAUSE_ID}"`),
      cd(gc + 31, "info", `RemoveImage "${PAUSE_ID}" returns successfully`),
      ...sandboxFailure(gc + 3 * MIN, "401 Unauthorized"),
    ];
    const report = await run({ [LOG]: render(lines), [CONFIG]: containerdConfig() });
    const deleted = kindOf(report, "containerd.sandbox-image-deleted");
    expect(deleted).toMatchObject({ severity: "high", count: 1 });
    expect(deleted?.evidence[0]?.excerpt).toContain("RemoveImage");
    expect(kindOf(report, "containerd.sandbox-image-pull-failed")?.severity).toBe("critical");
  });

  it("recognises the containerd 1.6 ImageDelete event format", async () => {
    const lines = [
      cd(
        COLLECTED - 9 * MIN,
        "info",
        `ImageDelete event &ImageDelete{Name:602401143452.dkr.ecr.eu-west-2.amazonaws.com/eks/pause:3.5,XXX_unrecognized:[],}`,
      ),
    ];
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.sandbox-image-deleted")?.severity).toBe("high");
  });

  it("rates a deleted pause image that was pulled again as low", async () => {
    const gc = COLLECTED - 60 * MIN;
    const lines = [
      cd(gc, "info", `ImageDelete event name:"${PAUSE}"`),
      cd(
        gc + 5 * MIN,
        "info",
        `ImageCreate event name:"${PAUSE}" labels:{key:"io.cri-containerd.image" value:"managed"}`,
      ),
    ];
    const report = await run({ [LOG]: render(lines), [CONFIG]: containerdConfig() });
    expect(kindOf(report, "containerd.sandbox-image-deleted")).toMatchObject({
      severity: "low",
      attributes: { repulled: true },
    });
  });

  it("does not take other images' deletions for the pause image", async () => {
    const lines = [
      cd(COLLECTED - 9 * MIN, "info", 'ImageDelete event name:"docker.io/library/nginx:1.25"'),
      cd(COLLECTED - 9 * MIN + 2, "info", 'RemoveImage "docker.io/library/nginx:1.25"'),
    ];
    const report = await run({ [LOG]: render(lines), [CONFIG]: containerdConfig() });
    expect(kindOf(report, "containerd.sandbox-image-deleted")).toBeUndefined();
  });

  it("classifies workload image pull failures by reason", async () => {
    const at = COLLECTED - 10 * MIN;
    const lines = [
      cd(at, "error", 'PullImage "nginx:latesst" failed', {
        error:
          'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:latesst": failed to resolve reference "docker.io/library/nginx:latesst": docker.io/library/nginx:latesst: not found',
      }),
      cd(at + 1000, "error", 'PullImage "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/api:2.1" failed', {
        error:
          'failed to pull and unpack image "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/api:2.1": failed to resolve reference: pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials',
      }),
      cd(at + 2000, "error", 'PullImage "quay.io/prometheus/node-exporter:v1.8.1" failed', {
        error:
          'failed to pull and unpack image "quay.io/prometheus/node-exporter:v1.8.1": failed to resolve reference: failed to do request: Head "https://quay.io/v2/prometheus/node-exporter/manifests/v1.8.1": dial tcp 3.227.212.15:443: i/o timeout',
      }),
      cd(at + 3000, "info", "trying next host", { error: "pull access denied", host: "quay.io" }),
    ];
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.image-pull-failed")).toMatchObject({
      severity: "medium",
      count: 3,
      attributes: {
        reasons: ["auth", "network", "not-found"],
        stillFailing: [
          "nginx:latesst",
          "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/api:2.1",
          "quay.io/prometheus/node-exporter:v1.8.1",
        ],
      },
    });
  });

  it("rates pull failures that stopped hours before the window's end as info", async () => {
    const lines = [
      cd(COLLECTED - 2 * 86_400_000, "error", 'PullImage "harbor.corp.example.com/shop/legacy-batch:1.4" failed', {
        error: "x509: certificate signed by unknown authority",
      }),
    ];
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.image-pull-failed")).toMatchObject({
      severity: "info",
      attributes: { stale: true },
    });
  });

  it("reports no space left on device", async () => {
    const lines = [
      cd(COLLECTED - 4 * MIN, "error", 'PullImage "111122223333.dkr.ecr.us-east-1.amazonaws.com/ml/model:9" failed', {
        error:
          "failed to extract layer sha256:ab12: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/311/fs/model.bin: no space left on device: unknown",
      }),
    ];
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.no-space")?.severity).toBe("high");
    expect(kindOf(report, "containerd.image-pull-failed")).toMatchObject({
      severity: "high",
      attributes: { reasons: ["no-space"] },
    });
  });

  it("reports crash restarts with the restart counter", async () => {
    const lines = [...healthyLines()];
    for (let i = 0; i < 3; i += 1) {
      const at = COLLECTED - (30 - i * 5) * MIN;
      lines.push(
        sd(at, "containerd.service: Main process exited, code=killed, status=9/KILL"),
        sd(at + 1, "containerd.service: Failed with result 'signal'."),
        sd(at + 5000, `containerd.service: Scheduled restart job, restart counter is at ${i + 1}.`),
        sd(at + 5001, "Starting containerd.service - containerd container runtime..."),
        cd(at + 5100, "info", "containerd successfully booted in 0.051s", {}, 9000 + i),
        sd(at + 5101, "Started containerd.service - containerd container runtime."),
      );
    }
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.restarts")).toMatchObject({
      severity: "high",
      count: 3,
      attributes: { crashes: 3, restartCounter: 3, startsThisBoot: 4 },
    });
    expect(kindOf(report, "containerd.not-running")).toBeUndefined();
    expect(kindOf(report, "containerd.status")?.attributes.running).toBe(true);
  });

  it("treats the clean restart bootstrap does at boot as info", async () => {
    const start = BOOT + 12_000;
    const lines = [
      cd(start, "info", "containerd successfully booted in 0.04s"),
      sd(start + 30_000, "Stopping containerd container runtime..."),
      sd(start + 30_200, "Stopped containerd container runtime."),
      sd(start + 30_300, "Starting containerd container runtime..."),
      cd(start + 30_400, "info", "containerd successfully booted in 0.04s", {}, 3100),
      sd(start + 30_500, "Started containerd container runtime."),
    ];
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.restarts")).toMatchObject({
      severity: "info",
      attributes: { clean: true, crashes: 0 },
    });
  });

  it("does not count starts from before this boot", async () => {
    const lines = [
      cd(BOOT - 86_400_000, "info", "containerd successfully booted in 0.04s", {}, 1000),
      sd(BOOT - 60 * MIN, "Stopping containerd.service - containerd container runtime..."),
      "-- Boot 5f0e3a1b2c4d4e6f8a9b0c1d2e3f4a5b --",
      cd(BOOT + 11_000, "info", "containerd successfully booted in 0.04s"),
    ].map((l) => (typeof l === "string" ? ([BOOT - 1, l] as Line) : l));
    const report = await run({ [LOG]: render(lines) });
    expect(kindOf(report, "containerd.restarts")).toBeUndefined();
    expect(kindOf(report, "containerd.status")?.attributes).toMatchObject({ running: true, startsThisBoot: 1 });
  });

  it("reports containerd down when it keeps failing to start after a bad config edit", async () => {
    const toml =
      'containerd: failed to load TOML from /etc/containerd/config.toml: invalid plugin key URI "cri" expect io.containerd.x.vx';
    const stop = COLLECTED - 10 * MIN;
    const lines = [
      ...healthyLines(),
      sd(stop, "Stopping containerd.service - containerd container runtime..."),
      sd(stop + 70, "Stopped containerd.service - containerd container runtime."),
    ];
    for (let i = 0, at = stop + 100; i < 8; i += 1, at += 5100) {
      lines.push(
        sd(at, "Starting containerd.service - containerd container runtime..."),
        [at + 31, journalLine(HOST, new Date(at + 31), "containerd", 40_000 + i, toml)],
        sd(at + 34, "containerd.service: Main process exited, code=exited, status=1/FAILURE"),
        sd(at + 35, "containerd.service: Failed with result 'exit-code'."),
        sd(at + 36, "Failed to start containerd.service - containerd container runtime."),
        sd(at + 5040, `containerd.service: Scheduled restart job, restart counter is at ${i + 1}.`),
      );
    }
    const report = await run({ [LOG]: render(lines), [CONFIG]: `${toml}\n` });
    expect(kindOf(report, "containerd.not-running")).toMatchObject({
      severity: "critical",
      attributes: { state: "failed", restartCounter: 8 },
    });
    expect(kindOf(report, "containerd.not-running")?.attributes.lastFatal).toContain("failed to load TOML");
    expect(kindOf(report, "containerd.restarts")).toMatchObject({ severity: "high", attributes: { crashes: 8 } });
    expect(kindOf(report, "containerd.errors")).toMatchObject({ severity: "high", attributes: { fatal: 8 } });
    expect(kindOf(report, "containerd.config-invalid")?.severity).toBe("high");
    expect(report.gaps.map((g) => g.source)).toEqual([CONFIG]);
    expect(kindOf(report, "containerd.status")?.attributes.running).toBe(false);
  });

  it("groups other errors by message and keeps warnings out", async () => {
    const at = COLLECTED - 15 * MIN;
    const lines: Line[] = [];
    for (let i = 0; i < 5; i += 1) {
      const id = `${"ab12cd34".repeat(8)}`.slice(0, 60) + String(1000 + i);
      lines.push(
        cd(
          at + i * 1000,
          "error",
          `Failed to handle backOff event &TaskExit{ContainerID:${id},ID:${id},Pid:${4000 + i},ExitStatus:137,} for ${id}`,
          {
            error:
              "failed to handle container TaskExit event: failed to stop container: context deadline exceeded: unknown",
          },
        ),
      );
    }
    lines.push(
      cd(
        at + 9000,
        "error",
        'failed to reload cni configuration after receiving fs change event(REMOVE        "/etc/cni/net.d/10-aws.conflist")',
        {
          error:
            "cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config",
        },
      ),
    );
    lines.push(cd(at + 9500, "warning", "failed to get cgroup stats", { error: "cgroup deleted" }));
    const report = await run({ [LOG]: render(lines) });
    const errors = kindOf(report, "containerd.errors");
    expect(errors).toMatchObject({ severity: "low", count: 6, attributes: { distinctMessages: 2, fatal: 0 } });
    expect((errors?.attributes.messages as string[])[0]).toMatch(
      /^5× Failed to handle backOff event &TaskExit\{ContainerID:<id>/,
    );
  });

  it("rates shim failures by cause: cgroup problems high, the workload's own command info", async () => {
    const at = COLLECTED - 8 * MIN;
    const meta =
      "&PodSandboxMetadata{Name:web-5c9d7f6b8-k2x4z,Uid:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e,Namespace:shop,Attempt:3,}";
    const cgroup = await run({
      [LOG]: render([
        cd(at, "error", `RunPodSandbox for ${meta} failed, error`, {
          error:
            'failed to create containerd task: failed to create shim task: OCI runtime create failed: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/kubepods/besteffort/pod0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/8f9e" instead: unknown',
        }),
      ]),
    });
    expect(kindOf(cgroup, "containerd.shim-errors")).toMatchObject({
      severity: "high",
      attributes: { causes: ["cgroup"], workloadOnly: false },
    });
    const exec = await run({
      [LOG]: render([
        cd(at, "error", 'StartContainer for "5e6f" failed', {
          error:
            'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/serve": stat /app/serve: no such file or directory: unknown',
        }),
      ]),
    });
    expect(kindOf(exec, "containerd.shim-errors")).toMatchObject({
      severity: "info",
      attributes: { causes: ["exec-not-found"], workloadOnly: true },
    });
  });

  it("reads a containerd 2.x config dump (version 3, pinned sandbox image, single quotes)", async () => {
    const v3 = `version = 3
root = '/var/lib/containerd'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '${PAUSE}'

  [plugins.'io.containerd.cri.v1.runtime']
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'nvidia'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia]
          runtime_type = 'io.containerd.runc.v2'

          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia.options]
            BinaryName = '/usr/bin/nvidia-container-runtime'
            SystemdCgroup = false

        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            SystemdCgroup = true
`;
    const report = await run({ [CONFIG]: v3 });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "containerd.config")?.attributes).toMatchObject({
      sandboxImage: PAUSE,
      systemdCgroup: false,
      configVersion: 3,
      defaultRuntime: "nvidia",
    });
  });

  it("ignores lines after the window's end", async () => {
    const lines = sandboxFailure(COLLECTED - 5 * MIN, "401 Unauthorized");
    const report = await runOn(
      readContainerdLog,
      { [LOG]: render(lines) },
      {
        window: {
          start: new Date(COLLECTED - 3 * 3_600_000).toISOString(),
          end: new Date(COLLECTED - 30 * MIN).toISOString(),
        },
      },
      { label: ARCHIVE },
    );
    expect(kindOf(report, "containerd.sandbox-image-pull-failed")).toBeUndefined();
  });

  it("answers no_data when the containerd folder is empty", async () => {
    const report = await run({});
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("answers error with a gap for an empty config dump and still reads the log", async () => {
    const empty = await run({ [CONFIG]: "" });
    expect(empty.status).toBe("error");
    expect(empty.gaps).toEqual([{ source: CONFIG, reason: "file is empty" }]);
    const withLog = await run({ [CONFIG]: "", [LOG]: render(healthyLines()) });
    expect(withLog.status).toBe("ok");
  });

  it("reports a config dump with nothing containerd-shaped as a gap", async () => {
    const report = await run({ [CONFIG]: "ctr: command not found\n" });
    expect(report.status).toBe("error");
    expect(kindOf(report, "containerd.config-invalid")?.severity).toBe("medium");
  });

  it("survives binary garbage and CRLF line ends", async () => {
    const garbage = new Uint8Array(64 * 1024).map((_, i) => (i * 197 + 11) % 256);
    const report = await run({ [LOG]: garbage, [CONFIG]: garbage });
    expect(["ok", "error"]).toContain(report.status);
    const crlf = await run({
      [LOG]: render(sandboxFailure(COLLECTED - 5 * MIN, "401 Unauthorized")).replace(/\n/g, "\r\n"),
      [CONFIG]: containerdConfig().replace(/\n/g, "\r\n"),
    });
    expect(kindOf(crlf, "containerd.sandbox-image-pull-failed")?.severity).toBe("critical");
    expect(kindOf(crlf, "containerd.config")?.attributes.systemdCgroup).toBe(true);
  });
});

describe("read_containerd_log on generated bundles", () => {
  const runBundle = (files: BundleFiles) => runOn(readContainerdLog, files, {}, { label: ARCHIVE });

  it.each([
    {},
    { nodeadm: false },
    { ignoreIntrospection: true },
    { cniLogFormat: "text" as const, enisShape: "legacy" as const },
    { seed: 7 },
  ])("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await runBundle(healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "containerd.config")?.attributes).toMatchObject({ systemdCgroup: true });
    expect(kindOf(report, "containerd.status")?.attributes).toMatchObject({ running: true, startsThisBoot: 1 });
  });

  it("finds the pause image deleted and then refused with 401", async () => {
    const report = await runBundle(withFaults({}, sandboxImageDeleted));
    expect(kindOf(report, "containerd.sandbox-image-deleted")).toMatchObject({ severity: "high", count: 1 });
    expect(kindOf(report, "containerd.sandbox-image-pull-failed")).toMatchObject({
      severity: "critical",
      attributes: { reasons: ["auth"] },
    });
  });

  it("finds containerd down in a restart loop", async () => {
    const report = await runBundle(withFaults({}, containerdDown));
    expect(kindOf(report, "containerd.not-running")?.severity).toBe("critical");
    expect(kindOf(report, "containerd.restarts")?.severity).toBe("high");
    expect(kindOf(report, "containerd.config-invalid")?.severity).toBe("high");
    expect(kindOf(report, "containerd.status")?.attributes.running).toBe(false);
  });

  it("finds runc refusing cgroupfs paths under the systemd driver", async () => {
    const report = await runBundle(withFaults({}, cgroupDriverMismatch));
    expect(kindOf(report, "containerd.shim-errors")).toMatchObject({
      severity: "high",
      attributes: { causes: ["cgroup"] },
    });
  });
});
