import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { inspectProcesses } from "../../tools/inspect-processes.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

const HEADER = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND";
const row = (pid: number, command: string, stat = "Ssl") =>
  `root     ${String(pid).padStart(7)}  0.1  0.2 100000 20000 ?        ${stat}  08:00   0:01 ${command}`;

describe("inspect_processes", () => {
  it("raises nothing above info on the healthy baseline and sees the node services", async () => {
    const report = await runOn(inspectProcesses, healthyBaseline());
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "processes.core-services")?.attributes.running).toEqual(
      expect.arrayContaining(["kubelet", "containerd"]),
    );
  });

  it("reports failed core units from systemctl list-units", async () => {
    const report = await runOn(inspectProcesses, {
      "system/services.txt":
        "  UNIT                   LOAD   ACTIVE SUB     DESCRIPTION\n  containerd.service     loaded active running containerd container runtime\n● chronyd.service        loaded failed failed  NTP client/server\n",
    });
    expect(kindOf(report, "processes.failed-units")?.severity).toBe("high");
    expect(kindOf(report, "processes.failed-units")?.attributes.units).toEqual(["chronyd.service"]);
  });

  it("reports a missing kubelet and PID use near kernel.pid_max", async () => {
    const rows = [
      HEADER,
      ...Array.from({ length: 20 }, (_, i) => row(100 + i, `/usr/bin/containerd-shim-runc-v2 -id ${i}`)),
      row(900, "/usr/bin/containerd"),
    ];
    const threads = [
      "UID PID PPID LWP C NLWP SZ RSS PSR STIME TTY TIME CMD",
      ...Array.from({ length: 950 }, (_, i) => `root ${i} 1 ${i} 0 1 1 1 0 08:00 ? 00:00:00 x`),
    ];
    const report = await runOn(
      inspectProcesses,
      { "system/ps.txt": `${rows.join("\n")}\n`, "system/ps-threads.txt": `${threads.join("\n")}\n` },
      { pidMax: 1000 },
    );
    expect(kindOf(report, "processes.core-missing")?.attributes.missing).toEqual(["kubelet"]);
    expect(kindOf(report, "processes.pid-pressure")?.severity).toBe("high");
  });

  it("has no data when the bundle holds no process or unit lists", async () => {
    expect((await runOn(inspectProcesses, {})).status).toBe("no_data");
  });
});
