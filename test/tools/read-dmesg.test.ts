import { describe, expect, it } from "vitest";
import type { ToolReport } from "../../src/domain/tool-report.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { kernelHang, systemOomKillsKubelet } from "../../src/fixtures/faults/host.ts";
import { ctimeStamp } from "../../src/fixtures/time-format.ts";
import { readDmesg } from "../../tools/read-dmesg.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

const CURRENT = "kernel/dmesg.current";
const HUMAN = "kernel/dmesg.human.current";
const BOOT_FILE = "kernel/dmesg.boot";
const COLLECTED = Date.parse("2026-11-24T10:30:00Z");
const BOOT = COLLECTED - 3 * 86_400_000;
const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const KERNEL = "6.1.115-126.197.amzn2023.x86_64";
const UP = (COLLECTED - BOOT) / 1000;
const POD_UID = "8d2c4f1e-3b5a-4c7d-9e0f-1a2b3c4d5e6f";
const MEMCG = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll("-", "_")}.slice/cri-containerd-4f1c2b3a5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081.scope`;

type Event = [seconds: number, msg: string];

function relative(events: Event[]): string {
  return `${events.map(([sec, msg]) => `[${String(Math.floor(sec)).padStart(5, " ")}.${String(Math.round((sec % 1) * 1e6)).padStart(6, "0")}] ${msg}`).join("\n")}\n`;
}

function human(events: Event[]): string {
  return `${events.map(([sec, msg]) => `[${ctimeStamp(new Date(BOOT + Math.floor(sec) * 1000))}] ${msg}`).join("\n")}\n`;
}

function both(events: Event[]): Record<string, string> {
  const sorted = [...events].sort((a, b) => a[0] - b[0]);
  return { [CURRENT]: relative(sorted), [HUMAN]: human(sorted) };
}

/** Seconds since boot of an instant `minutesBeforeCollection` before collection. */
function ago(minutes: number): number {
  return UP - minutes * 60;
}

const BOOT_BANNER: Event[] = [
  [
    0,
    `Linux version ${KERNEL} (mockbuild@ip-10-0-54-181) (gcc (GCC) 11.5.0 20240719 (Red Hat 11.5.0-5), GNU ld version 2.41-50.amzn2023.0.3) #1 SMP PREEMPT_DYNAMIC Tue Oct 13 18:02:37 UTC 2026`,
  ],
  [
    0,
    "Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz root=UUID=5d3a3a7e ro console=tty0 console=ttyS0,115200n8 nvme_core.io_timeout=4294967295 rd.emergency=poweroff",
  ],
  [
    0.000004,
    "clocksource: kvm-clock: mask: 0xffffffffffffffff max_cycles: 0x1cd42e4dffb, max_idle_ns: 881590591483 ns",
  ],
  [0.803962, "nvme nvme0: pci function 0000:00:04.0"],
  [0.815037, "nvme nvme0: 2/0/0 default/read/poll queues"],
  [0.902716, "ena 0000:00:05.0: ENA device version: 0.10"],
  [0.914402, "ena 0000:00:05.0: Elastic Network Adapter (ENA) found at mem c0514000, mac addr 0a:1b:2c:3d:4e:5f"],
  [1.112001, "clocksource: Switched to clocksource kvm-clock"],
  [1.512004, "XFS (nvme0n1p1): Mounting V5 Filesystem 5d3a3a7e-4a1f-4b36-9f4e-2c9b1f0b6f11"],
  [1.603881, "XFS (nvme0n1p1): Ending clean mount"],
  [3.011842, "ena 0000:00:05.0 ens5: renamed from eth0"],
  [10.920461, "Bridge firewalling registered"],
  [3600.2, "ena 0000:00:06.0: enabling device (0000 -> 0002)"],
  [3600.3, "ena 0000:00:06.0 ens6: renamed from eth1"],
  [7200, "IPv6: ADDRCONF(NETDEV_CHANGE): eni2d1f7e8c3a4: link becomes ready"],
  [ago(60 * 20), "hrtimer: interrupt took 4121 ns"],
];

/** A workload container killed under its own 1 GiB limit (memcg OOM), as a 6.1 kernel prints it. */
function workloadOom(sec: number, pid = 48211): Event[] {
  return [
    [sec, "java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=968"],
    [sec, `CPU: 1 PID: ${pid + 37} Comm: java Not tainted ${KERNEL} #1`],
    [sec, " mem_cgroup_out_of_memory+0x136/0x150"],
    [sec, "memory: usage 1048576kB, limit 1048576kB, failcnt 1873"],
    [sec, `Memory cgroup stats for ${MEMCG}:`],
    [
      sec,
      `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-4f1c.scope,mems_allowed=0,oom_memcg=${MEMCG},task_memcg=${MEMCG},task=java,pid=${pid},uid=0`,
    ],
    [
      sec + 0.002,
      `Memory cgroup out of memory: Killed process ${pid} (java) total-vm:4049380kB, anon-rss:1036156kB, file-rss:12420kB, shmem-rss:0kB, UID:0 pgtables:2484kB oom_score_adj:968`,
    ],
  ];
}

/** A global OOM (the node out of memory) killing `name`. */
function globalOom(sec: number, name: string, pid: number, taskMemcg: string, invoker = "containerd"): Event[] {
  return [
    [
      sec,
      `${invoker} invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=-999`,
    ],
    [sec, `CPU: 0 PID: 2876 Comm: ${invoker} Not tainted ${KERNEL} #1`],
    [sec, " out_of_memory+0xed/0x2e0"],
    [sec, "Mem-Info:"],
    [sec, "Node 0 Normal free:33288kB boost:0kB min:33384kB low:41728kB high:50072kB"],
    [
      sec,
      `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=${taskMemcg},task=${name},pid=${pid},uid=0`,
    ],
    [
      sec + 0.001,
      `Out of memory: Killed process ${pid} (${name}) total-vm:1940492kB, anon-rss:160852kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:920kB oom_score_adj:-999`,
    ],
    [sec + 0.05, `oom_reaper: reaped process ${pid} (${name}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`],
  ];
}

async function run(
  files: Record<string, string | Uint8Array>,
  opts: { btime?: boolean; window?: { start: string; end: string } } = {},
): Promise<ToolReport> {
  const all: Record<string, string | Uint8Array> = { ...files };
  if (opts.btime !== false)
    all["system/procstat.txt"] = `cpu  1 2 3 4\nbtime ${Math.floor(BOOT / 1000)}\nprocesses 31337\n`;
  return runOn(readDmesg, all, opts.window ? { window: opts.window } : {}, { label: ARCHIVE });
}

describe("read_dmesg", () => {
  it("raises nothing above info on a healthy node with a workload's own OOM", async () => {
    const report = await run(both([...BOOT_BANNER, ...workloadOom(ago(197))]));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "kernel.oom-kill-workload")).toMatchObject({
      severity: "info",
      count: 1,
      attributes: { victims: ["java"], podUids: [POD_UID] },
    });
    expect(kindOf(report, "kernel.oom-kill-system")).toBeUndefined();
    expect(kindOf(report, "kernel.boot")?.attributes).toMatchObject({
      source: HUMAN,
      timestamps: "ctime",
      kernelVersion: KERNEL,
      coversFrom: new Date(BOOT).toISOString(),
    });
  });

  it("reports the kubelet killed by a global OOM as high, with when it happened", async () => {
    const sec = ago(11);
    const report = await run(
      both([...BOOT_BANNER, ...globalOom(sec, "kubelet", 2345, "/runtime.slice/kubelet.service")]),
    );
    const oom = kindOf(report, "kernel.oom-kill-system");
    expect(oom).toMatchObject({
      severity: "high",
      count: 1,
      attributes: {
        systemVictims: ["kubelet"],
        victims: ["kubelet(2345)"],
        systemProcessKilled: true,
        globalOom: true,
      },
    });
    expect(oom?.lastSeen).toBe(new Date(BOOT + Math.floor(sec) * 1000).toISOString());
    expect(oom?.evidence[0]).toMatchObject({ source: HUMAN });
    expect(oom?.correlateWith).toContain("read_kubelet_config");
  });

  it("rates a global OOM that only killed pod processes as medium", async () => {
    const report = await run(both(globalOom(ago(30), "java", 48211, MEMCG, "java")));
    expect(kindOf(report, "kernel.oom-kill-system")).toMatchObject({
      severity: "medium",
      attributes: { systemProcessKilled: false, systemVictims: [] },
    });
    expect(kindOf(report, "kernel.oom-kill-workload")).toBeUndefined();
  });

  it("reads the 4.14 kernel's two-line OOM report once", async () => {
    const sec = ago(9);
    const report = await run(
      both([
        [
          sec,
          "containerd invoked oom-killer: gfp_mask=0x14200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null), order=0, oom_score_adj=-999",
        ],
        [sec, "Out of memory: Kill process 2871 (containerd) score 0 or sacrifice child"],
        [sec, "Killed process 2871 (containerd) total-vm:1872364kB, anon-rss:52424kB, file-rss:0kB, shmem-rss:0kB"],
      ]),
    );
    expect(kindOf(report, "kernel.oom-kill-system")).toMatchObject({
      severity: "high",
      count: 1,
      attributes: { systemVictims: ["containerd"] },
    });
  });

  it("reads the old memcg format (Task in … killed as a result of limit of …) as a workload OOM", async () => {
    const sec = ago(40);
    const report = await run(
      both([
        [sec, "node invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=(null), order=0, oom_score_adj=999"],
        [
          sec,
          `Task in /kubepods/burstable/pod${POD_UID}/0a1b2c3d killed as a result of limit of /kubepods/burstable/pod${POD_UID}`,
        ],
        [sec, "Memory cgroup out of memory: Kill process 7788 (node) score 1989 or sacrifice child"],
        [sec, "Killed process 7788 (node) total-vm:1346868kB, anon-rss:520384kB, file-rss:29788kB, shmem-rss:0kB"],
      ]),
    );
    expect(kindOf(report, "kernel.oom-kill-workload")).toMatchObject({
      severity: "info",
      count: 1,
      attributes: { victims: ["node"], podUids: [POD_UID] },
    });
    expect(kindOf(report, "kernel.oom-kill-system")).toBeUndefined();
  });

  it("reports conntrack table full as high while it lasts, info once it stopped days ago", async () => {
    const recent = await run(
      both([
        ...BOOT_BANNER,
        [ago(4), "nf_conntrack: nf_conntrack: table full, dropping packet"],
        [ago(3), "nf_conntrack: table full, dropping packet"],
        [ago(3), "net_ratelimit: 412 callbacks suppressed"],
      ]),
    );
    expect(kindOf(recent, "kernel.conntrack-table-full")).toMatchObject({ severity: "high", count: 2 });
    const old = await run(both([...BOOT_BANNER, [ago(60 * 30), "nf_conntrack: table full, dropping packet"]]));
    expect(kindOf(old, "kernel.conntrack-table-full")).toMatchObject({ severity: "info", attributes: { stale: true } });
  });

  it("reports a kernel hang: soft lockups, hung tasks and RCU stalls", async () => {
    const start = ago(19);
    const report = await run(
      both([
        ...BOOT_BANNER,
        [start, "watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [kworker/1:2:31245]"],
        [start + 120, "watchdog: BUG: soft lockup - CPU#1 stuck for 45s! [kworker/1:2:31245]"],
        [start + 240, "INFO: task containerd:2871 blocked for more than 122 seconds."],
        [start + 240, '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.'],
        [start + 360, "INFO: task jbd2/nvme0n1p1-8:412 blocked for more than 245 seconds."],
        [start + 420, "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"],
        [start + 480, "INFO: rcu_preempt self-detected stall on CPU"],
      ]),
    );
    expect(kindOf(report, "kernel.soft-lockup")).toMatchObject({
      severity: "high",
      count: 2,
      attributes: { maxStuckSeconds: 45, processes: ["kworker/1:2"] },
    });
    expect(kindOf(report, "kernel.hung-task")).toMatchObject({
      severity: "high",
      count: 2,
      attributes: { tasks: ["containerd", "jbd2/nvme0n1p1-8"] },
    });
    expect(kindOf(report, "kernel.rcu-stall")).toMatchObject({ severity: "high", count: 2 });
  });

  it("reports filesystem errors and a read-only remount, but not clean mounts", async () => {
    const report = await run(
      both([
        ...BOOT_BANNER,
        [
          ago(12),
          "EXT4-fs error (device nvme1n1): ext4_find_entry:1455: inode #2: comm kubelet: reading directory lblock 0",
        ],
        [ago(12), "EXT4-fs (nvme1n1): Remounting filesystem read-only"],
        [
          ago(10),
          "XFS (nvme2n1): Metadata corruption detected at xfs_buf_ioend+0x51/0x180 [xfs], xfs_inode block 0x1a3c0",
        ],
        [ago(9), "Buffer I/O error on dev nvme3n1, logical block 0, async page read"],
        [
          ago(8),
          "blk_update_request: I/O error, dev nvme3n1, sector 2048 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
        ],
      ]),
    );
    const fs = kindOf(report, "kernel.fs-errors");
    expect(fs).toMatchObject({ severity: "high", count: 5, attributes: { readOnly: true } });
    expect(fs?.attributes.devices).toEqual(["nvme1n1", "nvme2n1", "nvme3n1"]);
    const healthy = await run(both(BOOT_BANNER));
    expect(kindOf(healthy, "kernel.fs-errors")).toBeUndefined();
  });

  it("reports NVMe controller timeouts and resets", async () => {
    const report = await run(
      both([
        ...BOOT_BANNER,
        [ago(6), "nvme nvme1: I/O 12 QID 2 timeout, aborting"],
        [ago(6), "nvme nvme1: Abort status: 0x0"],
        [ago(5), "nvme nvme1: I/O 0 QID 0 timeout, reset controller"],
      ]),
    );
    expect(kindOf(report, "kernel.nvme-errors")).toMatchObject({
      severity: "high",
      count: 3,
      attributes: { devices: ["nvme1"] },
    });
  });

  it("reports ENA resets, not ENA devices appearing at boot or on ENI attach", async () => {
    const report = await run(
      both([
        ...BOOT_BANNER,
        [
          ago(7),
          "ena 0000:00:05.0 ens5: TX hasn't completed, qid 1, index 712. 13320 msecs since last interrupt, 12000 msecs since last napi execution, napi scheduled: 1",
        ],
        [ago(7), "ena 0000:00:05.0 ens5: Trigger reset is on"],
        [
          ago(7),
          "ena 0000:00:05.0: Device reset completed successfully, Driver info: Elastic Network Adapter (ENA) v2.12.0g",
        ],
      ]),
    );
    expect(kindOf(report, "kernel.ena-reset")).toMatchObject({
      severity: "high",
      count: 3,
      attributes: { interfaces: ["ens5"] },
    });
    const single = await run(both([...BOOT_BANNER, [ago(7), "ena 0000:00:06.0 ens6: Keep alive watchdog timeout."]]));
    expect(kindOf(single, "kernel.ena-reset")?.severity).toBe("medium");
    expect(kindOf(await run(both(BOOT_BANNER)), "kernel.ena-reset")).toBeUndefined();
  });

  it("reports a clocksource marked unstable as a time jump, info when only at boot", async () => {
    const line =
      "clocksource: timekeeping watchdog on CPU1: Marking clocksource 'tsc' as unstable because the skew is too large:";
    const recent = await run(both([...BOOT_BANNER, [ago(14), line]]));
    expect(kindOf(recent, "kernel.time-jump")?.severity).toBe("medium");
    const boot = await run(both([...BOOT_BANNER, [2.5, line]]));
    expect(kindOf(boot, "kernel.time-jump")).toMatchObject({ severity: "info", attributes: { bootOnly: true } });
  });

  it("reports fragmentation-needed drops", async () => {
    const report = await run(
      both([
        [
          ago(3),
          "IPv4: host 10.0.12.34 (ens5): fragmentation needed and DF set, dropped oversized packet (len 9001 > mtu 1500)",
        ],
      ]),
    );
    expect(kindOf(report, "kernel.fragmentation-needed")?.severity).toBe("medium");
  });

  it("turns seconds since boot into instants with btime when there is no --ctime file", async () => {
    const sec = ago(11);
    const report = await run({
      [CURRENT]: relative([...BOOT_BANNER, ...globalOom(sec, "kubelet", 2345, "/runtime.slice/kubelet.service")]),
    });
    const oom = kindOf(report, "kernel.oom-kill-system");
    expect(oom?.lastSeen).toBe(new Date(BOOT + Math.round((sec + 0.001) * 1000)).toISOString());
    expect(kindOf(report, "kernel.boot")?.attributes).toMatchObject({ source: CURRENT, timestamps: "relative" });
  });

  it("keeps findings without times when the boot time is unknown", async () => {
    const report = await run(
      { [CURRENT]: relative([[ago(60 * 30), "nf_conntrack: table full, dropping packet"]]) },
      { btime: false },
    );
    expect(kindOf(report, "kernel.conntrack-table-full")).toMatchObject({
      severity: "high",
      attributes: { timesUnknown: true },
    });
    expect(kindOf(report, "kernel.boot")?.attributes).toMatchObject({
      timestamps: "relative-without-boot-time",
      timesKnown: false,
    });
  });

  it("reads dmesg -x and raw printk level prefixes", async () => {
    const sec = Math.floor(ago(5));
    const report = await run({
      [CURRENT]: `kern  :warn  : [${sec}.000000] nf_conntrack: table full, dropping packet\n<3>[${sec}.100000] INFO: task kubelet:2345 blocked for more than 120 seconds.\n`,
    });
    expect(kindOf(report, "kernel.conntrack-table-full")?.lastSeen).toBe(new Date(BOOT + sec * 1000).toISOString());
    expect(kindOf(report, "kernel.hung-task")?.attributes.tasks).toEqual(["kubelet"]);
  });

  it("ignores events outside the window", async () => {
    const report = await run(
      both([...BOOT_BANNER, ...globalOom(ago(11), "kubelet", 2345, "/runtime.slice/kubelet.service")]),
      {
        window: {
          start: new Date(COLLECTED - 6 * 3_600_000).toISOString(),
          end: new Date(COLLECTED - 60 * 60_000).toISOString(),
        },
      },
    );
    expect(kindOf(report, "kernel.oom-kill-system")).toBeUndefined();
  });

  it("falls back to dmesg.current with a gap when the --ctime file is empty, and to dmesg.boot last", async () => {
    const report = await run({ [HUMAN]: "", [CURRENT]: relative(BOOT_BANNER) });
    expect(report.status).toBe("ok");
    expect(report.gaps).toEqual([{ source: HUMAN, reason: "file is empty" }]);
    expect(kindOf(report, "kernel.boot")?.attributes.source).toBe(CURRENT);
    const bootOnly = await run({ [BOOT_FILE]: relative(BOOT_BANNER.slice(0, 8)) });
    expect(kindOf(bootOnly, "kernel.boot")?.attributes.source).toBe(BOOT_FILE);
  });

  it("answers no_data without kernel files and error when they are all empty", async () => {
    expect((await run({})).status).toBe("no_data");
    const empty = await run({ [HUMAN]: "", [CURRENT]: "" });
    expect(empty.status).toBe("error");
    expect(empty.gaps.map((g) => g.source)).toEqual([HUMAN, CURRENT]);
  });

  it("survives binary garbage", async () => {
    const garbage = new Uint8Array(128 * 1024).map((_, i) => (i * 251 + 3) % 256);
    const report = await run({ [HUMAN]: garbage });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
  });
});

describe("read_dmesg on generated bundles", () => {
  it.each([
    {},
    { nodeadm: false },
    { ignoreIntrospection: true },
    { cniLogFormat: "text" as const, enisShape: "legacy" as const },
    { seed: 7 },
  ])("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await runOn(readDmesg, healthyBaseline(opts), {}, { label: ARCHIVE });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "kernel.oom-kill-workload")?.severity).toBe("info");
  });

  it("finds the kubelet killed by a system OOM", async () => {
    const report = await runOn(readDmesg, withFaults({}, systemOomKillsKubelet), {}, { label: ARCHIVE });
    const oom = kindOf(report, "kernel.oom-kill-system");
    expect(oom).toMatchObject({
      severity: "high",
      count: 2,
      attributes: { systemVictims: ["kubelet"], globalOom: true },
    });
    expect(kindOf(report, "kernel.oom-kill-workload")?.severity).toBe("info");
  });

  it("finds the kernel hang", async () => {
    const report = await runOn(readDmesg, withFaults({}, kernelHang), {}, { label: ARCHIVE });
    expect(aboveInfo(report).sort()).toEqual([
      "kernel.hung-task:high",
      "kernel.rcu-stall:high",
      "kernel.soft-lockup:high",
    ]);
    expect(kindOf(report, "kernel.hung-task")?.attributes.tasks).toEqual(["containerd", "kubelet", "jbd2/nvme0n1p1-8"]);
  });
});
