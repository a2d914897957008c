import { describe, expect, it } from "vitest";
import type { ToolReport } from "../../src/domain/tool-report.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { diskFull, inodesExhausted, ebsDeviceNotFound } from "../../src/fixtures/faults/host.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { inspectStorage } from "../../tools/inspect-storage.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const MOUNT_LINES = [
  "proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)",
  "sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime,seclabel)",
  "devtmpfs on /dev type devtmpfs (rw,nosuid,seclabel,size=4096k,nr_inodes=980302,mode=755,inode64)",
  "/dev/nvme0n1p1 on / type xfs (rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,sunit=1024,swidth=1024,noquota)",
  "tmpfs on /tmp type tmpfs (rw,nosuid,nodev,seclabel,nr_inodes=1048576,inode64)",
  "/dev/nvme0n1p128 on /boot/efi type vfat (rw,noatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=winnt,errors=remount-ro)",
  "overlay on /run/containerd/io.containerd.runtime.v2.task/k8s.io/4f1c2b3a/rootfs type overlay (rw,relatime,seclabel,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/48/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/48/work)",
  "tmpfs on /var/lib/kubelet/pods/7d1e2f3a-0b1c-4d2e-8f3a-4b5c6d7e8f9a/volumes/kubernetes.io~projected/kube-api-access-x2x9k type tmpfs (rw,relatime,seclabel,size=7611924k,inode64)",
  "shm on /run/containerd/io.containerd.grpc.v1.cri/sandboxes/9a8b7c6d/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,seclabel,size=65536k,inode64)",
];
function dfTable(rootUse = "31%", rootUsed = "6.1G", rootAvail = "14G"): string[] {
  return [
    "Filesystem        Size  Used Avail Use% Mounted on",
    "devtmpfs          4.0M     0  4.0M   0% /dev",
    "tmpfs             3.8G     0  3.8G   0% /dev/shm",
    "tmpfs             1.6G  1.1M  1.6G   1% /run",
    `/dev/nvme0n1p1     20G  ${rootUsed}   ${rootAvail}  ${rootUse} /`,
    "tmpfs             3.8G   12K  3.8G   1% /tmp",
    "/dev/nvme0n1p128   10M  1.3M  8.7M  13% /boot/efi",
    `overlay            20G  ${rootUsed}   ${rootAvail}  ${rootUse} /run/containerd/io.containerd.runtime.v2.task/k8s.io/4f1c2b3a/rootfs`,
    "tmpfs             7.3G   12K  7.3G   1% /var/lib/kubelet/pods/7d1e2f3a-0b1c-4d2e-8f3a-4b5c6d7e8f9a/volumes/kubernetes.io~projected/kube-api-access-x2x9k",
    "shm                64M     0   64M   0% /run/containerd/io.containerd.grpc.v1.cri/sandboxes/9a8b7c6d/shm",
    "tmpfs             777M     0  777M   0% /run/user/1000",
  ];
}
function inodeTable(rootIUse = "1%", rootIUsed = "98765", rootIFree = "10385907"): string[] {
  return [
    "Filesystem         Inodes  IUsed    IFree IUse% Mounted on",
    "devtmpfs           980302    345   979957    1% /dev",
    "tmpfs              982511      1   982510    1% /dev/shm",
    `/dev/nvme0n1p1   10484672  ${rootIUsed} ${rootIFree}  ${rootIUse} /`,
    "/dev/nvme0n1p128        0      0        0     - /boot/efi",
    `overlay          10484672  ${rootIUsed} ${rootIFree}  ${rootIUse} /run/containerd/io.containerd.runtime.v2.task/k8s.io/4f1c2b3a/rootfs`,
  ];
}
const LSBLK_UTF8 = [
  "NAME          MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS",
  "nvme0n1       259:0    0   20G  0 disk ",
  "├─nvme0n1p1   259:1    0   20G  0 part /",
  "├─nvme0n1p127 259:2    0    1M  0 part ",
  "└─nvme0n1p128 259:3    0   10M  0 part /boot/efi",
  "nvme1n1       259:4    0  100G  0 disk /var/lib/kubelet/pods/0c7e9f1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a/volumes/kubernetes.io~csi/pvc-3a1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/mount",
  "                                        /var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e/globalmount",
];
const FSTAB = [
  "#",
  "UUID=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d     /           xfs    defaults,noatime  1   1",
  "UUID=7A1B-2C3D          /boot/efi       vfat    defaults,noatime,uid=0,gid=0,umask=0077,shortname=winnt,x-systemd.automount 0 2",
];
const POD_LOCAL = [
  "1.2G\t/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/48/fs",
  "4.0K\t/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/51/fs",
  "312M\t/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/63/fs",
];

const text = (lines: string[]) => `${lines.join("\n")}\n`;
function bundle(overrides: Record<string, string | Uint8Array | undefined> = {}): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array | undefined> = {
    "storage/mounts.txt": text([...MOUNT_LINES, "", ...dfTable()]),
    "storage/inodes.txt": text(inodeTable()),
    "storage/lsblk.txt": text(LSBLK_UTF8),
    "storage/fstab.txt": text(FSTAB),
    "storage/pod_local_storage.txt": text(POD_LOCAL),
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(files).filter((e): e is [string, string | Uint8Array] => e[1] !== undefined),
  );
}

const run = (files: BundleFiles, input: ToolInput = {}) => runOn(inspectStorage, files, input, { label: "bundle" });
const all = (report: ToolReport, kind: string) => report.findings.filter((f) => f.kind === kind);
const VARIANTS = [
  {},
  { nodeadm: false },
  { cniLogFormat: "text" as const },
  { enisShape: "flat" as const },
  { enisShape: "legacy" as const },
  { ignoreIntrospection: true },
  { seed: 11 },
];

describe("inspect_storage", () => {
  it("reports only facts for a healthy AL2023 node: usage per node filesystem, devices, writable layers", async () => {
    const report = await run(bundle());
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    const usage = all(report, "storage.usage");
    expect(usage.map((f) => f.attributes.mountpoint)).toEqual(["/", "/boot/efi"]);
    expect(usage[0]?.attributes).toMatchObject({
      usePercent: 31,
      inodeUsePercent: 1,
      fsType: "xfs",
      nodeDataFilesystem: true,
      readOnly: false,
      sizeBytes: 20 * 1024 ** 3,
    });
    expect(kindOf(report, "storage.nvme-devices")?.attributes).toMatchObject({
      disks: ["nvme0n1 20G", "nvme1n1 100G"],
      nvmeDisks: 2,
      podVolumeDevices: ["nvme1n1"],
    });
    expect(kindOf(report, "storage.pod-local-usage")?.attributes).toMatchObject({
      layers: 3,
      largest: expect.arrayContaining([expect.stringContaining("1.2G")]),
    });
  });

  it("reports a root filesystem at 97% as high, with its df line as evidence", async () => {
    const report = await run(
      bundle({ "storage/mounts.txt": text([...MOUNT_LINES, "", ...dfTable("97%", "19G", "640M")]) }),
    );
    const full = kindOf(report, "storage.disk-full");
    expect(full?.severity).toBe("high");
    expect(full?.attributes).toMatchObject({
      mountpoint: "/",
      usePercent: 97,
      nodeDataFilesystem: true,
      holds: ["/var/lib/containerd", "/var/lib/kubelet", "/var/log", "/"],
    });
    expect(full?.evidence[0]).toMatchObject({ source: "storage/mounts.txt", line: 15 });
    expect(all(report, "storage.disk-full")).toHaveLength(1);
  });

  it("rates 88% medium, and 82% medium only when it is past the kubelet's eviction threshold", async () => {
    const at88 = await run(
      bundle({ "storage/mounts.txt": text([...MOUNT_LINES, "", ...dfTable("88%", "17G", "2.4G")]) }),
    );
    expect(kindOf(at88, "storage.disk-full")?.severity).toBe("medium");
    const files = bundle({ "storage/mounts.txt": text([...MOUNT_LINES, "", ...dfTable("82%", "16G", "3.6G")]) });
    expect(kindOf(await run(files), "storage.disk-full")).toBeUndefined();
    const past = await run(files, {
      evictionHard: ["memory.available<100Mi", "nodefs.available<20%", "nodefs.inodesFree<5%"],
    });
    expect(kindOf(past, "storage.disk-full")?.severity).toBe("medium");
    expect(kindOf(past, "storage.disk-full")?.attributes.pastEvictionThreshold).toBe(true);
    const absolute = await run(files, { evictionHard: ["nodefs.available<4Gi"] });
    expect(kindOf(absolute, "storage.disk-full")?.severity).toBe("medium");
  });

  it("reports an instance-store filesystem holding containerd at 99%, not the healthy root", async () => {
    const mounts = [
      ...MOUNT_LINES,
      "/dev/md127 on /mnt/k8s-disks/0 type xfs (rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=256k,sunit=1024,swidth=2048,noquota)",
      "/dev/md127 on /var/lib/containerd type xfs (rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=256k,sunit=1024,swidth=2048,noquota)",
      "/dev/md127 on /var/lib/kubelet type xfs (rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=256k,sunit=1024,swidth=2048,noquota)",
    ];
    const df = [
      ...dfTable(),
      "/dev/md127        1.8T  1.8T   18G  99% /mnt/k8s-disks/0",
      "/dev/md127        1.8T  1.8T   18G  99% /var/lib/containerd",
      "/dev/md127        1.8T  1.8T   18G  99% /var/lib/kubelet",
    ];
    const report = await run(bundle({ "storage/mounts.txt": text([...mounts, "", ...df]) }));
    const full = all(report, "storage.disk-full");
    expect(full).toHaveLength(1);
    expect(full[0]?.severity).toBe("high");
    expect(full[0]?.attributes).toMatchObject({
      device: "/dev/md127",
      mountpoints: ["/mnt/k8s-disks/0", "/var/lib/containerd", "/var/lib/kubelet"],
      holds: ["/var/lib/containerd", "/var/lib/kubelet"],
    });
  });

  it("reports a full pod volume as the workload's volume, not as node disk pressure", async () => {
    const pv =
      "/var/lib/kubelet/pods/0c7e9f1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a/volumes/kubernetes.io~csi/pvc-3a1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/mount";
    const report = await run(
      bundle({
        "storage/mounts.txt": text([
          ...MOUNT_LINES,
          `/dev/nvme1n1 on ${pv} type ext4 (rw,relatime,seclabel)`,
          "",
          ...dfTable(),
          `/dev/nvme1n1       98G   98G     0 100% ${pv}`,
        ]),
      }),
    );
    expect(kindOf(report, "storage.disk-full")).toBeUndefined();
    expect(kindOf(report, "storage.volume-full")).toMatchObject({
      severity: "low",
      attributes: { volume: "pvc-3a1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", usePercent: 100 },
    });
  });

  it("reports inodes exhausted while bytes remain as high, with both df lines", async () => {
    const report = await run(bundle({ "storage/inodes.txt": text(inodeTable("100%", "10484672", "0")) }));
    const inodes = kindOf(report, "storage.inodes-exhausted");
    expect(inodes?.severity).toBe("high");
    expect(inodes?.attributes).toMatchObject({
      mountpoint: "/",
      inodeUsePercent: 100,
      bytesRemain: true,
      usePercent: 31,
    });
    expect(inodes?.evidence.map((e) => e.source)).toEqual(["storage/inodes.txt", "storage/mounts.txt"]);
    expect(kindOf(report, "storage.disk-full")).toBeUndefined();
  });

  it("reports a root filesystem remounted read-only, and not errors=remount-ro or Bottlerocket's verity root", async () => {
    const ro = MOUNT_LINES.map((l) =>
      l.replace("/dev/nvme0n1p1 on / type xfs (rw,", "/dev/nvme0n1p1 on / type xfs (ro,"),
    );
    const report = await run(bundle({ "storage/mounts.txt": text([...ro, "", ...dfTable()]) }));
    expect(kindOf(report, "storage.read-only-mount")).toMatchObject({
      severity: "high",
      attributes: { mountpoint: "/", device: "/dev/nvme0n1p1" },
    });
    expect(aboveInfo(await run(bundle()))).toEqual([]);

    const bottlerocket = [
      "/dev/dm-0 on / type ext4 (ro,relatime,seclabel)",
      "/dev/nvme1n1p1 on /local type ext4 (rw,nosuid,nodev,noatime,seclabel)",
      "/dev/nvme1n1p1 on /var/lib/containerd type ext4 (rw,nosuid,nodev,noatime,seclabel)",
    ];
    const brDf = [
      "Filesystem      Size  Used Avail Use% Mounted on",
      "/dev/root       904M  557M  285M  67% /",
      "/dev/nvme1n1p1   20G   19G  800M  96% /local",
      "/dev/nvme1n1p1   20G   19G  800M  96% /var/lib/containerd",
    ];
    const br = await run(bundle({ "storage/mounts.txt": text([...bottlerocket, "", ...brDf]) }));
    expect(kindOf(br, "storage.read-only-mount")).toBeUndefined();
    expect(kindOf(br, "storage.disk-full")?.attributes).toMatchObject({
      device: "/dev/nvme1n1p1",
      mountpoints: ["/local", "/var/lib/containerd"],
      usePercent: 96,
    });
  });

  it("joins df rows that old coreutils wrapped after a long device name", async () => {
    const df = [
      "Filesystem           Size  Used Avail Use% Mounted on",
      "/dev/mapper/vg_data-lv_containerd",
      "                     200G  192G  8.0G  96% /var/lib/containerd",
    ];
    const report = await run(
      bundle({
        "storage/mounts.txt": text([
          "/dev/mapper/vg_data-lv_containerd on /var/lib/containerd type xfs (rw,relatime)",
          "",
          ...df,
        ]),
      }),
    );
    expect(kindOf(report, "storage.disk-full")).toMatchObject({
      severity: "high",
      attributes: { device: "/dev/mapper/vg_data-lv_containerd", mountpoint: "/var/lib/containerd" },
    });
  });

  it("reads lsblk drawn with ASCII trees and one MOUNTPOINT column", async () => {
    const ascii = [
      "NAME          MAJ:MIN RM  SIZE RO TYPE MOUNTPOINT",
      "nvme0n1       259:0    0   80G  0 disk ",
      "|-nvme0n1p1   259:1    0   80G  0 part /",
      "`-nvme0n1p128 259:2    0    1M  0 part ",
      "nvme1n1       259:3    0   50G  1 disk ",
    ];
    const report = await run(bundle({ "storage/lsblk.txt": text(ascii) }));
    expect(kindOf(report, "storage.nvme-devices")?.attributes).toMatchObject({
      disks: ["nvme0n1 80G", "nvme1n1 50G"],
      nodeMounts: ["nvme0n1p1 /"],
      readOnlyDevices: ["nvme1n1"],
    });
  });

  it("reports an fstab data mount that is not mounted, and ignores swap and noauto entries", async () => {
    const fstab = [
      ...FSTAB,
      "/dev/md0  /var/lib/containerd  xfs  defaults,nofail  0 2",
      "/swapfile none swap sw 0 0",
      "fs-0123456789abcdef0:/ /mnt/efs efs _netdev,noauto,tls 0 0",
    ];
    const report = await run(bundle({ "storage/fstab.txt": text(fstab) }));
    const unmounted = all(report, "storage.fstab-unmounted");
    expect(unmounted).toHaveLength(1);
    expect(unmounted[0]).toMatchObject({
      severity: "low",
      attributes: { mountpoint: "/var/lib/containerd", nodeDataPath: true, nofail: true },
    });
  });

  it("answers no_data when the bundle has no storage files", async () => {
    const report = await run({ "kubelet/kubelet.log": "x\n" });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("answers error with a gap naming the file when mounts.txt is empty and nothing else is there", async () => {
    const report = await run({ "storage/mounts.txt": "" });
    expect(report.status).toBe("error");
    expect(report.gaps).toEqual([{ source: "storage/mounts.txt", reason: "file is empty" }]);
  });

  it("keeps going with the other files when one is garbage, and names it in a gap", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 17) % 256);
    const report = await run(
      bundle({
        "storage/inodes.txt": garbage,
        "storage/mounts.txt": text([...MOUNT_LINES, "", ...dfTable()]).replace(/\n/g, "\r\n"),
      }),
    );
    expect(report.status).toBe("ok");
    expect(report.gaps.map((g) => g.source)).toEqual(["storage/inodes.txt"]);
    expect(kindOf(report, "storage.usage")?.attributes.usePercent).toBe(31);
  });

  it("accepts an empty fstab and an empty pod_local_storage.txt without a gap", async () => {
    const report = await run(bundle({ "storage/fstab.txt": "", "storage/pod_local_storage.txt": "" }));
    expect(report.gaps).toEqual([]);
    expect(kindOf(report, "storage.pod-local-usage")).toBeUndefined();
  });
  it.each(VARIANTS)("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await run(healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(report.gaps).toEqual([]);
    expect(aboveInfo(report)).toEqual([]);
  });

  it("reports the generated disk-full fault on / and its largest writable layer", async () => {
    const report = await run(withFaults({}, diskFull()));
    expect(kindOf(report, "storage.disk-full")).toMatchObject({
      severity: "high",
      attributes: { mountpoint: "/", usePercent: 97 },
    });
    expect(kindOf(report, "storage.pod-local-usage")?.attributes.largest).toEqual(
      expect.arrayContaining([expect.stringMatching(/^48G /)]),
    );
  });

  it("reports the generated inode fault as inodes exhausted while bytes remain", async () => {
    const report = await run(withFaults({}, inodesExhausted()));
    expect(kindOf(report, "storage.inodes-exhausted")).toMatchObject({
      severity: "high",
      attributes: { bytesRemain: true },
    });
    expect(kindOf(report, "storage.disk-full")).toBeUndefined();
  });

  it("lists the attached but unmounted EBS disk of the device-not-found fault", async () => {
    const report = await run(withFaults({}, ebsDeviceNotFound()));
    expect(kindOf(report, "storage.nvme-devices")?.attributes.disks).toEqual(["nvme0n1 80G", "nvme1n1 100G"]);
  });
});
