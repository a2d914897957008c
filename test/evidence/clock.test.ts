import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deriveBundleClock, type BundleClock } from "../../src/evidence/bundle-clock.ts";
import {
  iso,
  parseArchiveName,
  parseBtime,
  parseDmesgCtime,
  parseDmesgRelative,
  parseIsoTime,
  parseKlogTime,
  parseSyslogTime,
  resolveYearless,
} from "../../src/evidence/clock.ts";
import { openDirectorySource } from "../../src/evidence/directory-source.ts";
import { createNodeEvidence } from "../../src/evidence/node-evidence.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { openTarballSource } from "../../src/evidence/tarball-source.ts";
import { pseudoRandomBytes, TempDirs, writeTarGz } from "./helpers.ts";

const temps = new TempDirs();
const opened: EvidenceSource[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((source) => source.close()));
  await temps.cleanup();
});

const at = (text: string) => Date.parse(text);

async function bundleDir(files: Record<string, string | Buffer>, name = "bundle"): Promise<EvidenceSource> {
  const root = join(await temps.make(), name);
  await mkdir(root);
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, ...path.split("/"));
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, content);
  }
  const source = await openDirectorySource(root);
  opened.push(source);
  return source;
}

async function bundleTar(name: string, files: Record<string, string>): Promise<EvidenceSource> {
  const area = await temps.make();
  const file = join(area, name);
  await writeTarGz(
    file,
    Object.entries(files).map(([path, content]) => ({ name: `./${path}`, content })),
  );
  const source = await openTarballSource(file, undefined, area);
  opened.push(source);
  return source;
}

const ipamdLine = (ts: string, msg = "Received AddNetwork request") =>
  JSON.stringify({ level: "info", ts, caller: "rpc/rpc.pb.go:863", msg });
const journalLine = (stamp: string, msg = 'I1124 10:01:02.123456    1234 kubelet.go:1] "hello"') =>
  `${stamp} ip-10-0-1-2.ec2.internal kubelet[1234]: ${msg}`;

describe("timestamp parsers", () => {
  const reference = at("2026-11-24T10:30:00Z");

  it("reads journald short format in the year of the reference", () => {
    expect(iso(parseSyslogTime(journalLine("Nov 24 10:01:02"), reference))).toBe("2026-11-24T10:01:02.000Z");
    expect(iso(parseSyslogTime("Nov  4 09:08:07 host x: y", reference))).toBe("2026-11-04T09:08:07.000Z");
    expect(iso(parseSyslogTime("Nov 24 10:01:02.654321 host x: y", reference))).toBe("2026-11-24T10:01:02.654Z");
    expect(parseSyslogTime("Foo 24 10:01:02 host", reference)).toBeUndefined();
    expect(parseSyslogTime("", reference)).toBeUndefined();
    expect(parseSyslogTime("\0\xff garbage", reference)).toBeUndefined();
  });

  it("puts a December line read with a January reference in the previous year", () => {
    const january = at("2027-01-02T00:10:00Z");
    expect(iso(parseSyslogTime("Dec 31 23:59:58 host kubelet[1]: x", january))).toBe("2026-12-31T23:59:58.000Z");
    expect(iso(parseSyslogTime("Jan  1 00:00:05 host kubelet[1]: x", january))).toBe("2027-01-01T00:00:05.000Z");
    expect(iso(resolveYearless(11, 31, 23, 0, 0, 0, january))).toBe("2026-12-31T23:00:00.000Z");
  });

  it("tolerates a line up to two days after the reference (clock skew) in the same year", () => {
    expect(iso(parseSyslogTime("Nov 25 10:00:00 host x: y", reference))).toBe("2026-11-25T10:00:00.000Z");
    expect(iso(parseSyslogTime("Nov 27 10:00:00 host x: y", reference))).toBe("2025-11-27T10:00:00.000Z");
  });

  it("reads the klog header anywhere in the text", () => {
    expect(iso(parseKlogTime('kubelet[1]: E1124 10:01:02.123456    1234 file.go:1] "x"', reference))).toBe(
      "2026-11-24T10:01:02.123Z",
    );
    expect(iso(parseKlogTime("E1231 23:00:00.000001 1 x.go:1] y", at("2027-01-01T01:00:00Z")))).toBe(
      "2026-12-31T23:00:00.000Z",
    );
    expect(parseKlogTime("no header here", reference)).toBeUndefined();
  });

  it("reads RFC 3339 timestamps with zones, fractions and commas", () => {
    expect(iso(parseIsoTime(ipamdLine("2026-11-24T10:01:02.123Z")))).toBe("2026-11-24T10:01:02.123Z");
    expect(iso(parseIsoTime("2026-11-24T10:01:02.123456789+02:00 stdout F x"))).toBe("2026-11-24T08:01:02.123Z");
    expect(iso(parseIsoTime('time="2026-11-24T10:01:02-0530" level=info'))).toBe("2026-11-24T15:31:02.000Z");
    expect(iso(parseIsoTime("2020-04-01 02:00:05,895 [DEBUG] x"))).toBe("2020-04-01T02:00:05.895Z");
    expect(parseIsoTime("no time")).toBeUndefined();
  });

  it("turns dmesg seconds since boot into an instant with btime, and reads dmesg --ctime", () => {
    const boot = parseBtime("cpu  1 2 3\nbtime 1795000000\nprocesses 5\n");
    expect(boot).toBe(1_795_000_000_000);
    expect(iso(parseDmesgRelative("[ 1234.567890] eth0: link up", boot))).toBe(iso(1_795_000_000_000 + 1_234_567));
    expect(parseDmesgRelative("[ 1234.567890] eth0: link up", undefined)).toBeUndefined();
    expect(parseDmesgRelative("eth0: link up", boot)).toBeUndefined();
    expect(iso(parseDmesgCtime("[Tue Nov 24 10:01:02 2026] oom-kill:constraint=CONSTRAINT_MEMCG"))).toBe(
      "2026-11-24T10:01:02.000Z",
    );
    expect(iso(parseDmesgCtime("[Wed Nov  4 01:02:03 2026] x"))).toBe("2026-11-04T01:02:03.000Z");
    expect(parseBtime("btime not-a-number\n")).toBeUndefined();
  });

  it("reads the collection time from the collector's archive name, and nothing from the runbook's", () => {
    expect(iso(parseArchiveName("eks_i-0abc_2026-11-24_1030-UTC_0.7.9.tar.gz"))).toBe("2026-11-24T10:30:00.000Z");
    expect(parseArchiveName("eks_i-0abc_6f1d9c3e-6a1b-4f5e-9c2d-0123456789ab.tar.gz")).toBeUndefined();
    expect(parseArchiveName("")).toBeUndefined();
  });
});

describe("deriveBundleClock", () => {
  it("gives a year-less kubelet journal the year of the bundle's dated ipamd log", async () => {
    const source = await bundleDir({
      "var_log/aws-routed-eni/ipamd.log":
        [ipamdLine("2026-11-24T09:59:00.000Z"), ipamdLine("2026-11-24T10:00:00.500Z")].join("\n") + "\n",
      "kubelet/kubelet.log": [journalLine("Nov 24 09:58:00"), journalLine("Nov 24 10:01:02")].join("\n") + "\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock.collectedFrom).toBe("newest-timestamp");
    expect(iso(clock.collectedAt)).toBe("2026-11-24T10:01:02.000Z");
    expect(new Date(clock.yearReference as number).getUTCFullYear()).toBe(2026);
    expect(iso(parseSyslogTime(journalLine("Nov 24 10:01:02"), clock.yearReference as number))).toBe(
      "2026-11-24T10:01:02.000Z",
    );
  });

  it("reads the year from an ipamd log of a single line", async () => {
    const source = await bundleDir({
      "var_log/aws-routed-eni/ipamd.log": ipamdLine("2026-03-10T08:00:00.000Z") + "\n",
      "kubelet/kubelet.log": journalLine("Mar 10 08:00:30") + "\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock.collectedFrom).toBe("newest-timestamp");
    expect(iso(clock.collectedAt)).toBe("2026-03-10T08:00:30.000Z");
  });

  it("reads the newest line of a dated log longer than its tail window, skipping the partial first line", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i += 1)
      lines.push(
        ipamdLine(new Date(at("2026-11-24T00:00:00Z") + i * 1000).toISOString(), `event ${i} ${"p".repeat(40)}`),
      );
    const source = await bundleDir({ "var_log/aws-routed-eni/ipamd.log": lines.join("\n") + "\n" });
    const clock = await deriveBundleClock(source);
    expect(iso(clock.collectedAt)).toBe(new Date(at("2026-11-24T00:00:00Z") + 2999 * 1000).toISOString());
  });

  it("puts December journal lines in the previous year when the archive name says January", async () => {
    const source = await bundleTar("eks_i-0abc_2027-01-02_0015-UTC_0.7.9.tar.gz", {
      "kubelet/kubelet.log": [journalLine("Dec 31 23:59:58"), journalLine("Jan  2 00:14:00")].join("\n") + "\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock.collectedFrom).toBe("archive-name");
    expect(iso(clock.collectedAt)).toBe("2027-01-02T00:15:00.000Z");
    expect(iso(parseSyslogTime(journalLine("Dec 31 23:59:58"), clock.yearReference as number))).toBe(
      "2026-12-31T23:59:58.000Z",
    );
    expect(iso(parseSyslogTime(journalLine("Jan  2 00:14:00"), clock.yearReference as number))).toBe(
      "2027-01-02T00:14:00.000Z",
    );
  });

  it("takes the collection time from the archive name even when contents are newer or older", async () => {
    const source = await bundleTar("eks_i-0abc_2026-11-24_1030-UTC_0.7.9.tar.gz", {
      "var_log/aws-routed-eni/ipamd.log": ipamdLine("2026-11-20T00:00:00Z") + "\n",
      "system/procstat.txt": "btime 1795000000\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock).toEqual({
      collectedAt: at("2026-11-24T10:30:00Z"),
      collectedFrom: "archive-name",
      bootTime: 1_795_000_000_000,
      yearReference: at("2026-11-24T10:30:00Z"),
    });
  });

  it("falls back to the newest timestamp for the runbook's archive name without a date", async () => {
    const source = await bundleTar("eks_i-0abc_6f1d9c3e-6a1b-4f5e-9c2d-0123456789ab.tar.gz", {
      "var_log/aws-routed-eni/ipamd.log":
        [ipamdLine("2026-11-24T09:00:00Z"), ipamdLine("2026-11-24T09:30:00Z")].join("\n") + "\n",
      "kernel/dmesg.human.current": "[Tue Nov 24 09:40:00 2026] eth0: link up\n[Tue Nov 24 09:45:00 2026] oom\n",
      "containerd/containerd-log.txt":
        'Nov 24 09:00:00 ip containerd[1]: time="2026-11-24T09:50:00.000000000Z" level=info msg="x"\nNov 24 09:00:00 ip containerd[1]: time="2026-11-24T09:51:00.000000000Z" level=info msg="y"\n',
      "kubelet/kubelet.log": [journalLine("Nov 24 09:10:00"), journalLine("Nov 24 09:20:00")].join("\n") + "\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock.collectedFrom).toBe("newest-timestamp");
    expect(iso(clock.collectedAt)).toBe("2026-11-24T09:51:00.000Z");
  });

  it("uses dmesg --ctime as a dated source, and btime for dmesg seconds since boot", async () => {
    const btime = Math.floor(at("2026-11-24T08:00:00Z") / 1000);
    const source = await bundleDir({
      "system/procstat.txt": `cpu  10 20 30\nbtime ${btime}\n`,
      "kernel/dmesg.current": "[    0.000000] Linux version 6.1\n[ 5400.250000] Out of memory: Killed process 4242\n",
      "kernel/dmesg.human.current":
        "[Tue Nov 24 08:00:00 2026] Linux version 6.1\n[Tue Nov 24 09:30:00 2026] Out of memory: Killed process 4242\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock.bootTime).toBe(btime * 1000);
    expect(clock.collectedFrom).toBe("newest-timestamp");
    expect(iso(clock.collectedAt)).toBe("2026-11-24T09:30:00.000Z");
    expect(iso(parseDmesgRelative("[ 5400.250000] Out of memory: Killed process 4242", clock.bootTime))).toBe(
      "2026-11-24T09:30:00.250Z",
    );
  });

  it("derives a year from btime alone when nothing else is dated", async () => {
    const btime = Math.floor(at("2026-11-24T08:00:00Z") / 1000);
    const source = await bundleDir({
      "system/procstat.txt": `btime ${btime}\n`,
      "kubelet/kubelet.log": journalLine("Nov 24 09:00:00") + "\n",
    });
    const clock = await deriveBundleClock(source);
    expect(clock.collectedFrom).toBe("newest-timestamp");
    expect(iso(clock.collectedAt)).toBe("2026-11-24T09:00:00.000Z");
  });

  it("says unknown, without crashing, for a bundle with no dated source", async () => {
    const garbage = pseudoRandomBytes(200_000, 8);
    const cases: Array<Record<string, string | Buffer>> = [
      {},
      { "kubelet/kubelet.log": journalLine("Nov 24 10:01:02") + "\n" },
      {
        "var_log/aws-routed-eni/ipamd.log": "",
        "kernel/dmesg.human.current": "",
        "system/procstat.txt": "",
        "kubelet/kubelet.log": "",
      },
      {
        "var_log/aws-routed-eni/ipamd.log": garbage,
        "kernel/dmesg.human.current": garbage,
        "system/procstat.txt": garbage,
        "var_log/messages": garbage,
      },
      { "var_log/aws-routed-eni/ipamd.log": '{"level":"info","msg":"no ts field"}\n' },
    ];
    for (const files of cases) {
      const clock = await deriveBundleClock(await bundleDir(files));
      expect(clock.collectedFrom, JSON.stringify(Object.keys(files))).toBe("unknown");
      expect(clock.collectedAt).toBeUndefined();
    }
  });

  it("never uses the wall clock of the machine running it", async () => {
    const files = {
      "var_log/aws-routed-eni/ipamd.log": ipamdLine("2026-12-30T23:00:00Z") + "\n",
      "kubelet/kubelet.log": [journalLine("Dec 30 22:00:00"), journalLine("Dec 31 01:00:00")].join("\n") + "\n",
    };
    const results: BundleClock[] = [];
    for (const now of ["2026-12-31T00:00:00Z", "1999-06-15T12:00:00Z", "2041-01-01T00:00:00Z"]) {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date(now));
      expect(new Date().getUTCFullYear()).toBe(new Date(now).getUTCFullYear());
      results.push(await deriveBundleClock(await bundleDir(files)));
      const archived = await bundleTar("eks_i-0abc_2027-01-02_0015-UTC_0.7.9.tar.gz", {
        "kubelet/kubelet.log": journalLine("Dec 31 23:59:58") + "\n",
      });
      results.push(await deriveBundleClock(archived));
      vi.useRealTimers();
    }
    expect(iso(results[0]?.collectedAt)).toBe("2026-12-31T01:00:00.000Z");
    expect(results[1]?.collectedFrom).toBe("archive-name");
    for (let i = 2; i < results.length; i += 1) expect(results[i]).toEqual(results[i % 2]);
  });
});

describe("createNodeEvidence", () => {
  it("names the node from the journal host, keeps the instance id, and derives the clock once", async () => {
    const source = await bundleDir({
      "system/instance-id.txt": "i-0abc1234567890def\n",
      "kubelet/kubelet.log": journalLine("Nov 24 10:01:02") + "\n",
      "var_log/aws-routed-eni/ipamd.log": ipamdLine("2026-11-24T10:00:00Z") + "\n",
    });
    const evidence = await createNodeEvidence(source);
    expect(evidence.node).toBe("ip-10-0-1-2.ec2.internal");
    expect(await evidence.identity()).toEqual({ name: "ip-10-0-1-2.ec2.internal", instanceId: "i-0abc1234567890def" });
    const first = evidence.clock();
    expect(evidence.clock()).toBe(first);
    expect(iso((await first).collectedAt)).toBe("2026-11-24T10:01:02.000Z");
    expect(await evidence.resolve("kubeletJournal")).toEqual(["kubelet/kubelet.log"]);
    expect(await evidence.resolve("ipamdEnis")).toEqual([]);
  });

  it("falls back to the bundle name when nothing identifies the node, even over garbage", async () => {
    const source = await bundleDir(
      { "system/instance-id.txt": pseudoRandomBytes(64, 3), "kubelet/kubelet.log": pseudoRandomBytes(40_000, 4) },
      "some-bundle",
    );
    const evidence = await createNodeEvidence(source);
    expect(evidence.node).toBe("some-bundle");
    expect(await evidence.identity()).toEqual({ name: undefined, instanceId: undefined });
  });
});
