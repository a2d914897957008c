import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ToolReport } from "../../src/domain/tool-report.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { createNodeEvidence } from "../../src/evidence/node-evidence.ts";
import { openTarballSource } from "../../src/evidence/tarball-source.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import type { EvidenceSource, SkippedEntry } from "../../src/evidence/source.ts";
import { inventoryOf } from "../../src/toolkit/bundle-listing.ts";
import { runTool } from "../../src/toolkit/run-tool.ts";
import { listBundleInventory } from "../../tools/list-bundle-inventory.ts";
import { pseudoRandomBytes, tarGzBytes, TempDirs, type TarMember } from "../evidence/helpers.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const COLLECTED = Date.parse("2026-11-24T10:30:00Z");
const BOOT = COLLECTED - 3 * 86_400_000 - 7 * 60_000;

/** A complete, healthy bundle's file list with small stand-in contents. */
function completeBundle(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const files: Record<string, string | undefined> = {
    "system/script-params.txt": "ignore_introspection: false\nignore_metrics: false\n",
    "system/instance-id.txt": "i-0abc123def4567890\n",
    "system/region.txt": "us-east-1\n",
    "system/availability-zone.txt": "us-east-1a\n",
    "system/procstat.txt": `cpu  1 2 3 4\nbtime ${Math.floor(BOOT / 1000)}\n`,
    "system/services.txt": "kubelet.service loaded active running Kubernetes Kubelet\n",
    "system/ps.txt": "USER PID COMMAND\nroot 1 /usr/lib/systemd/systemd\n",
    "kernel/dmesg.current": "[    0.000000] Linux version 6.1.115\n",
    "kernel/dmesg.human.current": "[Sat Nov 21 10:23:00 2026] Linux version 6.1.115\n",
    "kernel/uname.txt": "Linux ip-10-0-12-34.ec2.internal 6.1.115 x86_64 GNU/Linux\n",
    "modinfo/ip_vs": "nf_conntrack 192512 6\n",
    "storage/mounts.txt": "/dev/nvme0n1p1 on / type xfs (rw,noatime)\n",
    "storage/inodes.txt": "Filesystem Inodes IUsed IFree IUse% Mounted on\n",
    "var_log/aws-routed-eni/ipamd.log": '{"level":"info","ts":"2026-11-24T10:29:58.100Z","msg":"ok"}\n',
    "var_log/aws-routed-eni/plugin.log": '{"level":"info","ts":"2026-11-24T10:29:50.100Z","msg":"ok"}\n',
    "var_log/kube-proxy-6xk2p_kube-system_kube-proxy-4f1c2b3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081.log":
      "2026-11-24T10:29:00.1Z stderr F I1124 ok\n",
    "networking/iptables-save.txt": "*nat\nCOMMIT\n",
    "networking/conntrack.txt":
      "*** Output of conntrack -S ***\ncpu=0 found=0 invalid=0 insert=0 insert_failed=0 drop=0\n",
    "networking/iproute.txt": "default via 10.0.0.1 dev ens5\n",
    "networking/iprule.txt": "0: from all lookup local\n",
    "networking/resolv.conf": "nameserver 10.0.0.2\n",
    "containerd/containerd-log.txt":
      'Nov 24 10:29:00 ip-10-0-12-34 containerd[2871]: time="2026-11-24T10:29:00Z" level=info msg="ok"\n',
    "containerd/containerd-config.txt": "version = 2\n",
    "sandbox-image/sandbox-image-log.txt": "-- No entries --\n",
    "ipamd/enis.json": "{}\n",
    "ipamd/pods.json": "{}\n",
    "ipamd/ipamd-env-settings.json": "{}\n",
    "ipamd/networkutils-env-settings.json": "{}\n",
    "ipamd/eni-configs.json": "{}\n",
    "ipamd/metrics.json": "# HELP awscni_assigned_ip_addresses\n",
    "ipamd/ipam.json": "{}\n",
    "sysctls/sysctl_all.txt": "net.ipv4.ip_forward = 1\n",
    "kubelet/kubelet.log": "Nov 24 10:29:59 ip-10-0-12-34 kubelet[2345]: I1124 10:29:59.000000 2345 x.go:1] ok\n",
    "kubelet/config.json": "{}\n",
    "kubelet/kubeconfig.yaml": "apiVersion: v1\n",
    "kubelet/kubelet_service.txt": "[Service]\n",
    "nodeadm/nodeadm-config.log": "-- No entries --\n",
    "nodeadm/nodeadm-run.log": "-- No entries --\n",
    "cni/10-aws.conflist": "{}\n",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `extra` stands in for what only an archive can say: members it refused, damage it found. */
async function run(files: BundleFiles, extra?: { skipped?: SkippedEntry[]; problems?: string[] }): Promise<ToolReport> {
  if (!extra) return runOn(listBundleInventory, files, {}, { label: ARCHIVE });
  const memory = createMemorySource(files, ARCHIVE);
  const source: EvidenceSource = {
    ...memory,
    skipped: async () => extra.skipped ?? [],
    problems: async () => extra.problems ?? [],
  };
  return runTool(listBundleInventory, await createNodeEvidence(source), {});
}

const temp = new TempDirs();
afterEach(() => temp.cleanup());

describe("list_bundle_inventory", () => {
  it("lists a complete bundle with nothing above info", async () => {
    const report = await run(completeBundle());
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    const inventory = kindOf(report, "bundle.inventory");
    expect(inventory?.attributes).toMatchObject({
      instanceId: "i-0abc123def4567890",
      region: "us-east-1",
      availabilityZone: "us-east-1a",
      ignoreIntrospection: false,
      ignoreMetrics: false,
      containerLogs: 1,
    });
    expect(inventory?.attributes.artifactsPresent).toEqual(
      expect.arrayContaining(["kubeletJournal", "containerdLog", "dmesgHuman", "ipamdEnis", "kubeProxyLog"]),
    );
    expect(inventory?.attributes.artifactsMissing).toEqual(
      expect.arrayContaining(["messages", "introspectionIgnored", "metricsIgnored"]),
    );
    expect(inventory?.attributes.foldersWithoutFiles).toEqual(["docker", "gpu"]);
    expect(inventory?.attributes.unexpectedTopLevel).toEqual([]);
    expect(kindOf(report, "bundle.missing-sources")).toBeUndefined();
    expect(kindOf(report, "bundle.introspection-skipped")).toBeUndefined();
  });

  it("says when and how the collection time was derived, and the boot time", async () => {
    const report = await run(completeBundle());
    expect(kindOf(report, "bundle.collection-time")?.attributes).toMatchObject({
      collectedAt: new Date(COLLECTED).toISOString(),
      collectedFrom: "archive-name",
      bootTime: new Date(BOOT - (BOOT % 1000)).toISOString(),
      uptimeHours: 72.1,
      archiveName: ARCHIVE,
    });
    const unnamed = await runOn(listBundleInventory, completeBundle(), {}, { label: "bundle" });
    expect(kindOf(unnamed, "bundle.collection-time")?.attributes).toMatchObject({
      collectedFrom: "newest-timestamp",
      collectedAt: "2026-11-24T10:29:59.000Z",
    });
  });

  it("reports skipped introspection from script-params and the marker files, without calling the files missing", async () => {
    const files = completeBundle({
      "system/script-params.txt": "ignore_introspection: true\nignore_metrics: true\n",
      "ipamd/enis.json": undefined,
      "ipamd/pods.json": undefined,
      "ipamd/ipamd-env-settings.json": undefined,
      "ipamd/networkutils-env-settings.json": undefined,
      "ipamd/eni-configs.json": undefined,
      "ipamd/metrics.json": undefined,
      "ipamd/ipam_introspection_ignore.txt": "Ignoring IPAM introspection stats as mentioned\n",
      "ipamd/ipam_metrics_ignore.txt": "Ignoring Prometheus Metrics collection as mentioned\n",
    });
    const report = await run(files);
    expect(kindOf(report, "bundle.introspection-skipped")).toMatchObject({
      severity: "info",
      attributes: { introspectionSkipped: true, metricsSkipped: true },
    });
    expect(kindOf(report, "bundle.missing-sources")).toBeUndefined();
    expect(aboveInfo(report)).toEqual([]);
  });

  it("lists missing key sources, with why containerd's may be absent", async () => {
    const report = await run(
      completeBundle({
        "containerd/containerd-log.txt": undefined,
        "containerd/containerd-config.txt": undefined,
        "cni/10-aws.conflist": undefined,
      }),
    );
    const missing = kindOf(report, "bundle.missing-sources");
    expect(missing).toMatchObject({
      severity: "low",
      count: 3,
      attributes: { missing: ["containerdLog", "containerdConfig", "cniConflist"], archiveDamaged: false },
    });
    expect((missing?.attributes.notes as string[]).join(" ")).toMatch(
      /only gathers containerd files while a containerd process runs/,
    );
  });

  it("rates a bundle missing most key sources as medium", async () => {
    const report = await run({
      "system/instance-id.txt": "i-0abc123def4567890\n",
      "kubelet/kubelet.log": "Nov 24 10:29:59 h kubelet[1]: ok\n",
    });
    expect(kindOf(report, "bundle.missing-sources")?.severity).toBe("medium");
  });

  it("reports key files that are present but empty, and empty introspection when it was not skipped", async () => {
    const report = await run(
      completeBundle({ "kubelet/kubelet.log": "", "ipamd/enis.json": "", "ipamd/pods.json": "" }),
    );
    const empty = kindOf(report, "bundle.empty-sources");
    expect(empty).toMatchObject({
      severity: "low",
      attributes: { coreEmpty: ["kubeletJournal", "ipamdEnis"], emptyIntrospection: ["ipamdEnis", "ipamdPods"] },
    });
    expect(empty?.attributes.empty).toEqual(["kubeletJournal", "ipamdEnis", "ipamdPods"]);
    expect(empty?.evidence.map((e) => e.source)).toEqual(["kubelet/kubelet.log", "ipamd/enis.json", "ipamd/pods.json"]);
  });

  it("rates empty non-key files as info", async () => {
    const report = await run(completeBundle({ "nodeadm/nodeadm-run.log": "" }));
    expect(kindOf(report, "bundle.empty-sources")).toMatchObject({
      severity: "info",
      attributes: { coreEmpty: [], empty: ["nodeadmRun"] },
    });
  });

  it("reports members refused on purpose as low", async () => {
    const report = await run(completeBundle(), {
      skipped: [
        { path: "var_log/containers", reason: "symbolic link (not followed)" },
        { path: "../../etc/shadow", reason: "unsafe member name (absolute or traversal)" },
      ],
    });
    expect(kindOf(report, "bundle.skipped-members")).toMatchObject({
      severity: "low",
      count: 2,
      attributes: { members: ["var_log/containers", "../../etc/shadow"] },
    });
    expect(kindOf(report, "bundle.archive-damaged")).toBeUndefined();
  });

  it("reports a truncated archive as damaged, with gaps, from a real .tar.gz", async () => {
    const dir = await temp.make();
    const big = pseudoRandomBytes(2 * 1024 * 1024, 7);
    const members: TarMember[] = [
      ...Object.entries(completeBundle()).map(([name, content]) => ({ name: `./${name}`, content })),
      { name: "./var_log/link-to-etc", type: "symlink", linkname: "/etc" },
      { name: "./var_log/messages", content: big },
      { name: "./zz-after.txt", content: "never reached" },
    ];
    const whole = await tarGzBytes(members);
    const file = join(dir, ARCHIVE);
    await writeFile(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const source = await openTarballSource(file, undefined, dir);
    try {
      const report = await runTool(listBundleInventory, await createNodeEvidence(source), {});
      expect(report.status).toBe("ok");
      const damaged = kindOf(report, "bundle.archive-damaged");
      expect(damaged?.severity).toBe("medium");
      expect((damaged?.attributes.problems as string[])[0]).toMatch(/gzip stream is truncated/);
      expect(damaged?.attributes.incompleteMembers).toEqual(["var_log/messages"]);
      expect(report.gaps.map((g) => g.source)).toEqual([ARCHIVE, "var_log/messages"]);
      expect(kindOf(report, "bundle.skipped-members")?.attributes.members).toEqual(["var_log/link-to-etc"]);
    } finally {
      await source.close();
    }
  });

  it("answers no_data for an empty bundle", async () => {
    const report = await run({});
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("still answers ok when no identity or flag file is present", async () => {
    const report = await run({ "kubelet/kubelet.log": "Nov 24 10:29:59 h kubelet[1]: ok\n", "stray/notes.txt": "x" });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "bundle.inventory")?.attributes).toMatchObject({
      unexpectedTopLevel: ["stray"],
      unclaimedFiles: 1,
    });
  });

  // How fast is a benchmark (npm run bench), not an assertion that flakes on a busy machine.
  it("classifies a 100,000-file listing completely", () => {
    const files = Array.from({ length: 100_000 }, (_, i) => ({
      path: `var_log/pod-${i}_ns_c-${i.toString(16).padStart(64, "0")}.log`,
      size: 10,
    }));
    const inventory = inventoryOf(files);
    expect(inventory.artifacts.find((a) => a.name === "containerLogs")?.paths.length).toBe(100_000);
  });
});

describe("list_bundle_inventory on generated bundles", () => {
  it.each([{}, { nodeadm: false }, { cniLogFormat: "text" as const, enisShape: "legacy" as const }, { seed: 7 }])(
    "raises nothing above info on the healthy baseline %j",
    async (opts) => {
      const report = await run(healthyBaseline(opts));
      expect(report.status).toBe("ok");
      expect(aboveInfo(report)).toEqual([]);
      expect(kindOf(report, "bundle.inventory")?.attributes).toMatchObject({
        instanceId: "i-0abc123def4567890",
        ignoreIntrospection: false,
      });
      expect(kindOf(report, "bundle.collection-time")?.attributes).toMatchObject({
        collectedFrom: "archive-name",
        collectedAt: "2026-11-24T10:30:00.000Z",
      });
    },
  );

  it("reports the collector's --ignore_introspection on the baseline variant, nothing missing", async () => {
    const report = await run(healthyBaseline({ ignoreIntrospection: true }));
    expect(kindOf(report, "bundle.introspection-skipped")?.attributes).toMatchObject({ introspectionSkipped: true });
    expect(aboveInfo(report)).toEqual([]);
  });

  it("lists the containerd files as missing when the collector found no containerd process", async () => {
    const files = healthyBaseline();
    for (const path of [...files.keys()]) if (path.startsWith("containerd/")) files.delete(path);
    const report = await run(files);
    expect(kindOf(report, "bundle.missing-sources")?.attributes.missing).toEqual(["containerdLog", "containerdConfig"]);
    expect(kindOf(report, "bundle.inventory")?.attributes.foldersWithoutFiles).toContain("containerd");
  });
});
