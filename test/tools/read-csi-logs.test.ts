import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { ebsDeviceNotFound, efsMountTimeout } from "../../src/fixtures/faults/host.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readCsiLogs } from "../../tools/read-csi-logs.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const END = Date.UTC(2026, 10, 24, 10, 30);
const HEX = "5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";
const EBS_NODE = `var_log/ebs-csi-node-h4x9q_kube-system_ebs-plugin-${HEX}.log`;
const REGISTRAR = `var_log/ebs-csi-node-h4x9q_kube-system_node-driver-registrar-${HEX.replace("5c", "6d")}.log`;
const EBS_CONTROLLER = `var_log/kube-system_ebs-csi-controller-6b9f7c8d4-2kq7m_3b2a1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d/ebs-plugin/0.log`;
const ATTACHER = `var_log/kube-system_ebs-csi-controller-6b9f7c8d4-2kq7m_3b2a1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d/csi-attacher/0.log`;
const EFS_NODE = `var_log/efs-csi-node-p2m8w_kube-system_efs-plugin-${HEX.replace("5c", "7e")}.log`;
const PV = "/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/7a1b2c3d/globalmount";

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}412`;
}
/** A CRI line; `klog` prefixes the text with a klog header of the given level. */
function cri(minutesAgo: number, text: string, level?: string, file = "driver.go:108"): string {
  const ms = END - minutesAgo * 60_000;
  const body = level ? `${level}${stamp(ms)}       1 ${file}] ${text}` : text;
  return `${new Date(ms).toISOString().replace("Z", "734281Z")} stderr F ${body}`;
}
const text = (lines: string[]) => `${lines.join("\n")}\n`;
function nodeStartup(minutesAgo: number): string[] {
  return [
    cri(minutesAgo, `"Driver Information" Driver="ebs.csi.aws.com" Version="v1.48.0"`, "I", "driver.go:69"),
    cri(minutesAgo, `"Listening for connections" address="/csi/csi.sock"`, "I", "server.go:109"),
  ];
}
function registrar(minutesAgo: number, registered = true): string[] {
  const status = registered
    ? "&RegistrationStatus{PluginRegistered:true,Error:,}"
    : "&RegistrationStatus{PluginRegistered:false,Error:RegisterPlugin error -- plugin registration failed with err: rpc error: code = Unavailable desc = connection error,}";
  const lines = [
    cri(minutesAgo, `"Version" version="v2.14.0"`, "I", "main.go:150"),
    cri(minutesAgo, `"CSI driver name" csiDriverName="ebs.csi.aws.com"`, "I", "main.go:189"),
    cri(minutesAgo, `"Received NotifyRegistrationStatus call" status="${status}"`, "I", "main.go:108"),
  ];
  if (!registered)
    lines.push(
      cri(
        minutesAgo,
        `"Registration process failed with error, restarting registration container" err="RegisterPlugin error -- plugin registration failed with err: rpc error: code = Unavailable desc = connection error"`,
        "E",
        "main.go:120",
      ),
    );
  return lines;
}
/** The 4.3 excerpt: a NodeStage re-mount failing because the NVMe device is already mounted. */
function nvmeRemount(minutesAgo: number): string[] {
  return [
    cri(minutesAgo, "Mount failed: exit status 32", "E", "mount_linux.go:179"),
    cri(minutesAgo, "Mounting command: mount"),
    cri(minutesAgo, `Mounting arguments: -t ext4 -o defaults /dev/xvdba ${PV}`),
    cri(minutesAgo, `Output: mount: ${PV}: /dev/nvme3n1 already mounted on ${PV}.`),
    cri(minutesAgo, ""),
    cri(
      minutesAgo,
      `GRPC error: rpc error: code = Internal desc = could not format "/dev/xvdba" and mount it at "${PV}": mount failed: exit status 32`,
      "E",
      "driver.go:119",
    ),
  ];
}

const run = (files: BundleFiles, input: ToolInput = {}) => runOn(readCsiLogs, files, input, { label: ARCHIVE });
const VARIANTS = [
  {},
  { nodeadm: false },
  { cniLogFormat: "text" as const },
  { enisShape: "flat" as const },
  { enisShape: "legacy" as const },
  { ignoreIntrospection: true },
  { seed: 11 },
];

describe("read_csi_logs", () => {
  it("reports only facts for a healthy EBS CSI node plugin: the registered driver and its version", async () => {
    const report = await run({ [EBS_NODE]: text(nodeStartup(4000)), [REGISTRAR]: text(registrar(4000)) });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "csi.driver-registered")?.attributes.drivers).toEqual(["ebs.csi.aws.com"]);
    expect(kindOf(report, "csi.plugins")?.attributes).toMatchObject({
      pods: ["ebs-csi-node-h4x9q"],
      drivers: ["ebs.csi.aws.com"],
      versions: ["ebs.csi.aws.com v1.48.0"],
      nodePlugin: true,
      controller: false,
    });
  });

  it('reads the old registrar wording CSI driver name: "…"', async () => {
    const old = [
      cri(100, `CSI driver name: "efs.csi.aws.com"`, "I", "main.go:113"),
      cri(
        100,
        "Received NotifyRegistrationStatus call: &RegistrationStatus{PluginRegistered:true,Error:,}",
        "I",
        "main.go:121",
      ),
    ];
    const report = await run({ [`var_log/efs-csi-node-p2m8w_kube-system_csi-driver-registrar-${HEX}.log`]: text(old) });
    expect(kindOf(report, "csi.driver-registered")?.attributes.drivers).toEqual(["efs.csi.aws.com"]);
  });

  it("reports Failed to find device path as a high EBS device-not-found, naming volume and device", async () => {
    const lines = [...nodeStartup(300)];
    for (let m = 60; m >= 2; m -= 2)
      lines.push(
        cri(
          m,
          `"GRPC error" err="rpc error: code = Internal desc = Failed to find device path /dev/xvdaa. no device path for device \\"/dev/xvdaa\\" volume \\"vol-0f1bd87aca480b924\\" found"`,
          "E",
        ),
      );
    const report = await run({ [EBS_NODE]: text(lines) });
    const finding = kindOf(report, "csi.ebs-device-not-found");
    expect(finding?.severity).toBe("high");
    expect(finding?.count).toBe(30);
    expect(finding?.attributes).toMatchObject({ volumes: ["vol-0f1bd87aca480b924"], devices: ["/dev/xvdaa"] });
    expect(kindOf(report, "csi.mount-failed")).toBeUndefined();
  });

  it("counts the multi-line NVMe re-mount failure once, as device-not-found and not as a generic mount failure", async () => {
    const report = await run({ [EBS_NODE]: text([...nodeStartup(300), ...nvmeRemount(20), ...nvmeRemount(10)]) });
    expect(kindOf(report, "csi.ebs-device-not-found")).toMatchObject({
      severity: "high",
      count: 2,
      attributes: { devices: ["/dev/nvme3n1"] },
    });
    expect(kindOf(report, "csi.mount-failed")).toBeUndefined();
  });

  it("reports attach failures from the controller and the attacher with their causes", async () => {
    const controller = [
      cri(
        30,
        `"GRPC error" err="rpc error: code = Internal desc = Could not attach volume \\"vol-0a1b2c3d4e5f60718\\" to node \\"i-0abc123def4567890\\": could not attach volume \\"vol-0a1b2c3d4e5f60718\\" to node \\"i-0abc123def4567890\\": VolumeInUse: vol-0a1b2c3d4e5f60718 is already attached to an instance"`,
        "E",
      ),
    ];
    const attacher = [
      cri(
        25,
        `Error processing "csi-8d0e4b1f9c2a": failed to attach: rpc error: code = DeadlineExceeded desc = context deadline exceeded`,
        "I",
        "csi_handler.go:234",
      ),
    ];
    const report = await run({ [EBS_CONTROLLER]: text(controller), [ATTACHER]: text(attacher) });
    const attach = kindOf(report, "csi.ebs-attach-failed");
    expect(attach?.severity).toBe("high");
    expect(attach?.count).toBe(2);
    expect(attach?.attributes).toMatchObject({
      causes: ["in-use-elsewhere", "timeout"],
      volumes: ["vol-0a1b2c3d4e5f60718"],
    });
    expect(kindOf(report, "csi.plugins")?.attributes.controller).toBe(true);
  });

  it("does not treat successful attaches or detach chatter as failures", async () => {
    const lines = [
      cri(
        30,
        `"ControllerPublishVolume: attaching" volumeID="vol-0a1b2c3d4e5f60718" nodeID="i-0abc123def4567890"`,
        "I",
        "controller.go:431",
      ),
      cri(
        30,
        `"ControllerPublishVolume: attached" volumeID="vol-0a1b2c3d4e5f60718" nodeID="i-0abc123def4567890" devicePath="/dev/xvdaa"`,
        "I",
        "controller.go:440",
      ),
      cri(
        20,
        `"ControllerUnpublishVolume: detach failed, retrying" err="timed out waiting for the condition"`,
        "W",
        "controller.go:470",
      ),
    ];
    const report = await run({ [EBS_CONTROLLER]: text(lines) });
    expect(aboveInfo(report)).toEqual([]);
  });

  it("reports EFS mount timeouts from the efs-plugin once per attempt, and TLS tunnel failures as a cause", async () => {
    const attempt = (m: number, output: string) => [
      cri(
        m,
        `GRPC error: rpc error: code = Internal desc = Could not mount "fs-0123456789abcdef0:/" at "/var/lib/kubelet/pods/4c1d2e3f/volumes/kubernetes.io~csi/efs-pv/mount": mount failed: exit status 32`,
        "E",
        "driver.go:103",
      ),
      cri(m, "Mounting command: mount"),
      cri(
        m,
        "Mounting arguments: -t efs -o accesspoint=fsap-0a1b2c3d4e5f60718,tls fs-0123456789abcdef0:/ /var/lib/kubelet/pods/4c1d2e3f/volumes/kubernetes.io~csi/efs-pv/mount",
      ),
      cri(m, `Output: ${output}`),
    ];
    const report = await run({
      [EFS_NODE]: text([
        ...attempt(30, "mount.nfs4: Connection timed out"),
        ...attempt(20, "mount.nfs4: Connection timed out"),
        ...attempt(10, "Failed to initialize TLS tunnel for fs-0123456789abcdef0"),
      ]),
    });
    const efs = kindOf(report, "csi.efs-mount-timeout");
    expect(efs).toMatchObject({ severity: "high", count: 3, attributes: { causes: ["nfs-timeout", "tls-tunnel"] } });
    expect(kindOf(report, "csi.mount-failed")).toBeUndefined();
  });

  it("reads the efs-utils mount.log when the bundle has one", async () => {
    const log = [
      "2026-11-24 10:20:01,512 - INFO - version=2.1.0 options={'tls': None, 'rw': None}",
      `2026-11-24 10:22:03,204 - ERROR - Failed to mount fs-0123456789abcdef0.efs.us-east-1.amazonaws.com at /var/lib/kubelet/pods/4c1d2e3f/volumes/kubernetes.io~csi/efs-pv/mount: returncode=32, stderr="mount.nfs4: Connection timed out"`,
    ];
    const report = await run({ "var_log/amazon/efs/mount.log": text(log) });
    expect(kindOf(report, "csi.efs-mount-timeout")).toMatchObject({ severity: "high", count: 1 });
    expect(kindOf(report, "csi.plugins")?.attributes.efsUtilsLog).toBe(true);
  });

  it("does not call an EC2 API connection timeout in the EBS driver an EFS mount timeout", async () => {
    const lines = [
      cri(
        10,
        `"Error" err="operation error EC2: DescribeVolumes, https response error StatusCode: 0, RequestID: , request send failed, Post \\"https://ec2.us-east-1.amazonaws.com/\\": dial tcp 52.46.154.12:443: connect: connection timed out"`,
        "E",
        "cloud.go:612",
      ),
    ];
    const report = await run({ [EBS_CONTROLLER]: text(lines) });
    expect(kindOf(report, "csi.efs-mount-timeout")).toBeUndefined();
  });

  it("reports other mount failures as medium", async () => {
    const lines = [
      cri(
        10,
        `"NodeStageVolume: failed to mount" err="mount failed: exit status 32\\nMounting command: mount\\nOutput: mount: ${PV}: wrong fs type, bad option, bad superblock on /dev/nvme2n1"`,
        "E",
        "node.go:301",
      ),
    ];
    const report = await run({ [EBS_NODE]: text(lines) });
    expect(kindOf(report, "csi.mount-failed")).toMatchObject({
      severity: "medium",
      attributes: { causes: ["filesystem"] },
    });
  });

  it("reports IMDS errors as medium and notes the fall-back to the Kubernetes API", async () => {
    const lines = [
      cri(
        10,
        `"Failed to retrieve instance data from ec2 metadata; retrieving instance data from kubernetes api" err="could not get EC2 instance identity metadata: operation error ec2imds: GetInstanceIdentityDocument, canceled, context deadline exceeded"`,
        "E",
        "metadata.go:52",
      ),
      cri(10, `"kubernetes api is available"`, "I", "metadata.go:61"),
    ];
    const report = await run({ [EBS_NODE]: text(lines) });
    expect(kindOf(report, "csi.imds-error")).toMatchObject({
      severity: "medium",
      attributes: { kubernetesFallback: true },
    });

    const efs = await run({
      [EFS_NODE]: text([
        cri(
          5,
          "error retrieving metadata from EC2 metadata service: EC2MetadataError: failed to make EC2Metadata request",
          "E",
          "cloud.go:134",
        ),
      ]),
    });
    expect(kindOf(efs, "csi.imds-error")).toMatchObject({
      severity: "medium",
      attributes: { kubernetesFallback: false },
    });
  });

  it("reports a failed driver registration once per attempt, and clears it when a later one succeeded", async () => {
    const failing = await run({ [REGISTRAR]: text([...registrar(30, false), ...registrar(20, false)]) });
    expect(kindOf(failing, "csi.registration-failed")).toMatchObject({
      severity: "high",
      count: 2,
      attributes: { drivers: ["ebs.csi.aws.com"] },
    });
    expect(kindOf(failing, "csi.driver-registered")).toBeUndefined();

    const recovered = await run({ [REGISTRAR]: text([...registrar(30, false), ...registrar(20, true)]) });
    expect(kindOf(recovered, "csi.registration-failed")).toMatchObject({
      severity: "info",
      attributes: { cleared: true },
    });
  });

  it("keeps failures that stopped hours before the window's end at info", async () => {
    const lines = [
      cri(
        900,
        `"GRPC error" err="rpc error: code = Internal desc = Failed to find device path /dev/xvdab. no device path for device \\"/dev/xvdab\\" volume \\"vol-0f1bd87aca480b924\\" found"`,
        "E",
      ),
    ];
    const report = await run({ [EBS_NODE]: text(lines) });
    expect(kindOf(report, "csi.ebs-device-not-found")).toMatchObject({ severity: "info", attributes: { stale: true } });
  });

  it("ignores lines outside the requested window", async () => {
    const lines = [
      cri(
        300,
        `"GRPC error" err="rpc error: code = Internal desc = Failed to find device path /dev/xvdab. no device path for device \\"/dev/xvdab\\" volume \\"vol-0f1bd87aca480b924\\" found"`,
        "E",
      ),
    ];
    const window = { start: new Date(END - 120 * 60_000).toISOString(), end: new Date(END).toISOString() };
    const report = await run({ [EBS_NODE]: text(lines) }, { window });
    expect(kindOf(report, "csi.ebs-device-not-found")).toBeUndefined();
  });

  it("reads each container once when both log copies are present", async () => {
    const lines = text([
      cri(
        10,
        `"GRPC error" err="rpc error: code = Internal desc = Failed to find device path /dev/xvdac. no device path for device \\"/dev/xvdac\\" volume \\"vol-0f1bd87aca480b924\\" found"`,
        "E",
      ),
    ]);
    const podsCopy = `var_log/kube-system_ebs-csi-node-h4x9q_9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a/ebs-plugin/0.log`;
    const report = await run({ [EBS_NODE]: lines, [podsCopy]: lines });
    expect(kindOf(report, "csi.ebs-device-not-found")?.count).toBe(1);
  });

  it("answers no_data without findings when the bundle has no container logs at all", async () => {
    const report = await run({ "kubelet/kubelet.log": "x\n" });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("notes that no CSI pod logged when other pods' logs were collected", async () => {
    const report = await run({
      [`var_log/kube-proxy-x7k2p_kube-system_kube-proxy-${HEX}.log`]: "x\n",
      [`var_log/aws-node-8x2lq_kube-system_aws-node-${HEX}.log`]: "y\n",
    });
    expect(report.status).toBe("no_data");
    expect(kindOf(report, "csi.no-plugin-logs")).toMatchObject({
      severity: "info",
      attributes: { containerLogFiles: 2 },
    });
  });

  it("survives binary garbage and CRLF line ends", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 97 + 3) % 256);
    const report = await run({ [EBS_NODE]: garbage, [REGISTRAR]: text(registrar(100)).replace(/\n/g, "\r\n") });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "csi.driver-registered")?.attributes.drivers).toEqual(["ebs.csi.aws.com"]);
  });
  it.each(VARIANTS)("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await run(healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "csi.driver-registered")?.attributes.drivers).toEqual(["ebs.csi.aws.com"]);
  });

  it("reports the generated EBS fault as device-not-found naming the device", async () => {
    const report = await run(withFaults({}, ebsDeviceNotFound()));
    expect(kindOf(report, "csi.ebs-device-not-found")).toMatchObject({
      severity: "high",
      attributes: { devices: ["/dev/xvdaa"] },
    });
    expect(kindOf(report, "csi.mount-failed")).toBeUndefined();
  });

  it("reports the generated EFS fault as mount timeouts, with the EFS driver registered", async () => {
    const report = await run(withFaults({ nodeadm: false }, efsMountTimeout()));
    expect(kindOf(report, "csi.efs-mount-timeout")).toMatchObject({
      severity: "high",
      attributes: { causes: ["nfs-timeout"] },
    });
    expect(kindOf(report, "csi.driver-registered")?.attributes.drivers).toEqual(["ebs.csi.aws.com", "efs.csi.aws.com"]);
    expect(kindOf(report, "csi.mount-failed")).toBeUndefined();
  });
});
