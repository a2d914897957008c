import { describe, expect, it } from "vitest";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readSandboxImageLog } from "../../tools/read-sandbox-image-log.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { sandboxImageDeleted, sandboxImagePullFailed } from "../../src/fixtures/faults/runtime.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";
import { aboveInfo, kindOf, kindsOf, runOn, type BundleFiles } from "./helpers.ts";

const LOG = "sandbox-image/sandbox-image-log.txt";
const CONTAINERD_CONFIG = "containerd/containerd-config.txt";
/** The archive name dates the bundle (collection 2026-11-24 10:30 UTC), which anchors journald's year-less stamps. */
const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const HOST = "ip-10-0-12-34.ec2.internal";
const PAUSE = "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10";

const run = (files: BundleFiles, input: ToolInput = {}) => runOn(readSandboxImageLog, files, input, { label: ARCHIVE });

const systemd = (at: string, msg: string) => `Nov ${at} ${HOST} systemd[1]: ${msg}`;
const script = (at: string, msg: string) => `Nov ${at} ${HOST} pull-sandbox-image.sh[1954]: ${msg}`;

const STARTING = "Starting sandbox-image.service - pull sandbox image defined in containerd config.toml...";
const FINISHED = "Finished sandbox-image.service - pull sandbox image defined in containerd config.toml.";
const FAILED = [
  "sandbox-image.service: Main process exited, code=exited, status=1/FAILURE",
  "sandbox-image.service: Failed with result 'exit-code'.",
  "Failed to start sandbox-image.service - pull sandbox image defined in containerd config.toml.",
];

function pullError(at: string, why: string): string[] {
  return [
    script(
      at,
      `E1121 ${at.slice(3)}.512345    1990 remote_image.go:180] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${PAUSE}\\": failed to resolve reference \\"${PAUSE}\\": ${why}" image="${PAUSE}"`,
    ),
    script(
      at,
      `time="2026-11-21T${at.slice(3)}Z" level=fatal msg="pulling image: rpc error: code = Unknown desc = failed to pull and unpack image \\"${PAUSE}\\": ${why}"`,
    ),
  ];
}

/** AL2023: a first attempt that fails with `why`, three retries, then the unit fails. */
function failingBoot(why: string): string {
  return (
    [
      systemd("21 10:14:05", STARTING),
      ...pullError("21 10:14:06", why),
      script("21 10:14:17", "Attempt 1 of 3"),
      ...pullError("21 10:14:18", why),
      script("21 10:14:39", "Attempt 2 of 3"),
      ...pullError("21 10:14:40", why),
      script("21 10:15:21", "Attempt 3 of 3"),
      ...pullError("21 10:15:22", why),
      ...FAILED.map((m) => systemd("21 10:15:22", m)),
    ].join("\n") + "\n"
  );
}

const HEALTHY_AL2023 =
  [
    systemd("21 10:14:05", STARTING),
    script(
      "21 10:14:07",
      "Image is up to date for sha256:873ed75102791e5b0b8a7fcd41606c92fcec98d56d05ead4ac5131650004c136",
    ),
    systemd("21 10:14:07", "sandbox-image.service: Deactivated successfully."),
    systemd("21 10:14:07", FINISHED),
  ].join("\n") + "\n";

describe("read_sandbox_image_log", () => {
  it("reports the pause image pulled at boot as an info fact with the image from containerd's config", async () => {
    const report = await run({
      [LOG]: HEALTHY_AL2023,
      [CONTAINERD_CONFIG]: `version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "${PAUSE}"\n`,
    });
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    const pulled = kindOf(report, "sandbox-image.pulled");
    expect(pulled?.attributes.image).toBe(PAUSE);
    expect(pulled?.lastSeen).toBe("2026-11-21T10:14:07.000Z");
    expect(kindsOf(report)).toEqual(["sandbox-image.pulled"]);
  });

  it("understands the AL2 journal (systemd 219 says Started for a oneshot unit)", async () => {
    const log = [
      "-- Logs begin at Sat 2026-11-21 10:13:41 UTC, end at Tue 2026-11-24 10:29:58 UTC. --",
      systemd("21 10:14:05", "Starting pull sandbox image defined in containerd config.toml..."),
      systemd("21 10:14:09", "Started pull sandbox image defined in containerd config.toml."),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(kindOf(report, "sandbox-image.pulled")?.severity).toBe("info");
    expect(report.severity).toBe("info");
  });

  it("raises a high pull failure with reason auth when ECR answers 401 Unauthorized and the unit fails", async () => {
    const report = await run({
      [LOG]: failingBoot(
        `unexpected status from HEAD request to https://602401143452.dkr.ecr.us-east-1.amazonaws.com/v2/eks/pause/manifests/3.10: 401 Unauthorized`,
      ),
    });
    const failed = kindOf(report, "sandbox-image.pull-failed");
    expect(failed?.severity).toBe("high");
    expect(failed?.attributes).toMatchObject({
      reason: "auth",
      image: PAUSE,
      attempts: 4,
      final: true,
      recovered: false,
    });
    expect(failed?.evidence[0]?.source).toBe(LOG);
    expect(failed?.correlateWith).toContain("read_containerd_log");
    expect(kindOf(report, "sandbox-image.pulled")).toBeUndefined();
  });

  it("classifies `no basic auth credentials` as auth", async () => {
    const report = await run({
      [LOG]: failingBoot(
        "pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials",
      ),
    });
    expect(kindOf(report, "sandbox-image.pull-failed")?.attributes.reason).toBe("auth");
  });

  it("classifies registry timeouts as network and a missing tag as not-found", async () => {
    const timeout = await run({
      [LOG]: failingBoot(
        `failed to do request: Head "https://602401143452.dkr.ecr.us-east-1.amazonaws.com/v2/eks/pause/manifests/3.10": dial tcp 52.46.135.10:443: i/o timeout`,
      ),
    });
    expect(kindOf(timeout, "sandbox-image.pull-failed")?.attributes.reason).toBe("network");
    const missing = await run({ [LOG]: failingBoot(`${PAUSE}: not found`) });
    expect(kindOf(missing, "sandbox-image.pull-failed")?.attributes.reason).toBe("not-found");
  });

  it("reports an ECR login failure that stopped the pull, with the unit's failure", async () => {
    const log = [
      systemd("21 10:14:05", STARTING),
      script(
        "21 10:14:09",
        "An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: arn:aws:sts::111122223333:assumed-role/eks-node/i-0abc123def4567890 is not authorized to perform: ecr:GetAuthorizationToken on resource: *",
      ),
      script("21 10:14:09", "Unable to retrieve the ECR password. Image pull may not be properly authenticated."),
      ...pullError("21 10:14:10", "401 Unauthorized"),
      ...FAILED.map((m) => systemd("21 10:14:10", m)),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(kindOf(report, "sandbox-image.pull-failed")?.severity).toBe("high");
    const login = kindOf(report, "sandbox-image.ecr-login-failed");
    expect(login?.severity).toBe("medium");
    expect(login?.attributes).toMatchObject({ reason: "auth", pullSucceeded: false });
  });

  it("keeps an ECR login failure at info when the public image still pulled", async () => {
    const log = [
      systemd("21 10:14:05", STARTING),
      script("21 10:14:08", `Could not connect to the endpoint URL: "https://api.ecr.us-east-1.amazonaws.com/"`),
      script("21 10:14:08", "Unable to retrieve the ECR password. Image pull may not be properly authenticated."),
      script(
        "21 10:14:11",
        "Image is up to date for sha256:873ed75102791e5b0b8a7fcd41606c92fcec98d56d05ead4ac5131650004c136",
      ),
      systemd("21 10:14:11", FINISHED),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "sandbox-image.ecr-login-failed")?.attributes).toMatchObject({
      reason: "network",
      pullSucceeded: true,
    });
    expect(kindOf(report, "sandbox-image.pulled")).toBeDefined();
  });

  it("treats a failure that a retry inside the same run recovered from as a plain pull", async () => {
    const log = [
      systemd("21 10:14:05", STARTING),
      ...pullError("21 10:14:06", "dial tcp 52.46.135.10:443: i/o timeout"),
      script("21 10:14:17", "Attempt 1 of 3"),
      script(
        "21 10:14:19",
        "Image is up to date for sha256:873ed75102791e5b0b8a7fcd41606c92fcec98d56d05ead4ac5131650004c136",
      ),
      systemd("21 10:14:19", FINISHED),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "sandbox-image.pulled")?.attributes.attempts).toBe(2);
    expect(kindOf(report, "sandbox-image.pull-failed")).toBeUndefined();
  });

  it("downgrades a failed run to info when a later boot pulled the image", async () => {
    const log = `${failingBoot("dial tcp 52.46.135.10:443: i/o timeout")}-- Boot 5d3c9e1f0a2b4c6d8e0f1a2b3c4d5e6f --\n${HEALTHY_AL2023.replaceAll("Nov 21", "Nov 22")}`;
    const report = await run({ [LOG]: log });
    expect(report.severity).toBe("info");
    const failed = kindOf(report, "sandbox-image.pull-failed");
    expect(failed?.severity).toBe("info");
    expect(failed?.attributes).toMatchObject({ recovered: true, final: false, reason: "network" });
    expect(kindOf(report, "sandbox-image.pulled")?.attributes.runs).toBe(2);
  });

  it("reports a unit still retrying at collection as failing", async () => {
    const log = [
      systemd("24 10:20:05", STARTING),
      ...pullError("24 10:20:06", "401 Unauthorized"),
      script("24 10:20:17", "Attempt 1 of 3"),
      ...pullError("24 10:20:18", "401 Unauthorized"),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(kindOf(report, "sandbox-image.pull-failed")?.attributes).toMatchObject({ inProgress: true, final: true });
    expect(kindOf(report, "sandbox-image.pull-failed")?.severity).toBe("high");
  });

  it("reports an image that was already cached as a fact", async () => {
    const log = [
      systemd("21 10:14:05", STARTING),
      script("21 10:14:05", `Skipping ... sandbox_image '${PAUSE}' is already present`),
      systemd("21 10:14:05", FINISHED),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(kindOf(report, "sandbox-image.cached")?.attributes.image).toBe(PAUSE);
    expect(report.severity).toBe("info");
  });

  it("reports a containerd config without sandbox_image as a fact", async () => {
    const log = [
      systemd("21 10:14:05", STARTING),
      script("21 10:14:05", "Skipping ... missing sandbox_image from /etc/containerd/config.toml"),
      systemd("21 10:14:05", FINISHED),
    ].join("\n");
    const report = await run({ [LOG]: `${log}\n` });
    expect(kindOf(report, "sandbox-image.config-missing")?.severity).toBe("info");
  });

  it("says the unit never ran when journalctl has no entries", async () => {
    const report = await run({ [LOG]: "-- No entries --\n" });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "sandbox-image.no-entries")?.severity).toBe("info");
  });

  it("ignores lines after the window's end", async () => {
    const log = `${HEALTHY_AL2023}${systemd("24 10:20:05", STARTING)}\n${pullError("24 10:20:06", "401 Unauthorized").join("\n")}\n${FAILED.map((m) => systemd("24 10:20:06", m)).join("\n")}\n`;
    const before = await run(
      { [LOG]: log },
      { window: { start: "2026-11-21T00:00:00Z", end: "2026-11-23T00:00:00Z" } },
    );
    expect(kindOf(before, "sandbox-image.pull-failed")).toBeUndefined();
    expect(kindOf(before, "sandbox-image.pulled")).toBeDefined();
    const all = await run({ [LOG]: log });
    expect(kindOf(all, "sandbox-image.pull-failed")?.severity).toBe("high");
  });

  it("copes with CRLF line endings", async () => {
    const report = await run({ [LOG]: failingBoot("401 Unauthorized").replaceAll("\n", "\r\n") });
    expect(kindOf(report, "sandbox-image.pull-failed")?.severity).toBe("high");
  });

  it("answers no_data when the log is missing", async () => {
    const report = await run({ "kubelet/kubelet.log": "" });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("answers error with a gap naming the file when the log is empty", async () => {
    const report = await run({ [LOG]: "" });
    expect(report.status).toBe("error");
    expect(report.gaps[0]?.source).toBe(LOG);
  });

  it("does not throw on binary garbage", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 7) % 256);
    const report = await run({ [LOG]: garbage });
    expect(report.status).toBe("error");
    expect(report.findings).toEqual([]);
  });

  describe("on generated bundles", () => {
    const variants: BaselineOptions[] = [
      {},
      { nodeadm: false },
      { cniLogFormat: "text" },
      { enisShape: "legacy" },
      { ignoreIntrospection: true },
    ];
    for (const opts of variants) {
      it(`raises nothing above info on the healthy baseline ${JSON.stringify(opts)}`, async () => {
        const report = await runOn(readSandboxImageLog, healthyBaseline(opts));
        expect(report.status).toBe("ok");
        expect(aboveInfo(report)).toEqual([]);
        expect(kindOf(report, "sandbox-image.pulled")?.attributes.image).toMatch(/\/eks\/pause:/);
      });
    }

    for (const reason of ["auth", "network"] as const) {
      it(`raises a high pull failure (${reason}) when the unit is re-run after the pause image was deleted`, async () => {
        const files = withFaults({}, sandboxImageDeleted, sandboxImagePullFailed({ reason }));
        const report = await runOn(readSandboxImageLog, files);
        const failed = kindOf(report, "sandbox-image.pull-failed");
        expect(failed?.severity).toBe("high");
        expect(failed?.attributes).toMatchObject({ reason, attempts: 4, final: true });
        expect(kindOf(report, "sandbox-image.ecr-login-failed")?.attributes.reason).toBe(reason);
        // The boot-time pull that succeeded is superseded by the failed run.
        expect(kindOf(report, "sandbox-image.pulled")).toBeUndefined();
      });
    }
  });
});
