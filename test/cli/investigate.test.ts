import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportSchema } from "../../src/domain/report.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { FAULTS } from "../../src/fixtures/faults/index.ts";
import { writeBundleDir, writeBundleTarGz } from "../../src/fixtures/write-bundle.ts";

const root = join(import.meta.dirname, "..", "..");
const fathom = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, "bin", "fathom.mjs"), ...args], { encoding: "utf8", timeout: 120_000 });
let dir: string;
let tgz: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fathom-cli-"));
  tgz = join(dir, "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz");
  await writeBundleTarGz(withFaults({}, (FAULTS["conntrack-table-full"] as () => never)()), tgz);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("fathom investigate", () => {
  it("merges a team's rules file: their own custom cause can win, with its evidence cited", async () => {
    const team = join(dir, "team-rules.yaml");
    await writeFile(
      team,
      [
        "rules:",
        "  - id: custom.conntrack-sized-for-last-year",
        "    summary: Our nodes still run last year's conntrack sizing",
        "    requires:",
        "      - kinds: [conntrack.table-near-full, sysctl.conntrack-near-max]",
        "        weight: 4",
        "        why: the table overflowed",
        "",
      ].join("\n"),
    );
    const run = fathom("investigate", "--bundle", tgz, "--format", "json", "--rules", team);
    expect(run.status, run.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(run.stdout));
    expect(report.rootCauses[0]?.id).toBe("custom.conntrack-sized-for-last-year");
    expect(report.rootCauses[0]?.supporting.length).toBeGreaterThan(0);
  });

  it("refuses a team's rules file that names an unknown kind, with file:line and exit 2", async () => {
    const team = join(dir, "bad-rules.yaml");
    await writeFile(
      team,
      "rules:\n  - id: net.conntrack-exhaustion\n    supports:\n      - { kind: conntrack.tabel-full, weight: 1, why: typo }\n",
    );
    const run = fathom("investigate", "--bundle", tgz, "--rules", team);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${team}:4: unknown finding kind "conntrack.tabel-full"`);
    expect(run.stdout).toBe("");
  });

  it("writes the JSON report on stdout and progress on stderr, and exits 0", () => {
    const run = fathom("investigate", "--bundle", tgz, "--format", "json");
    expect(run.status, run.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(run.stdout));
    expect(report.rootCauses[0]?.id).toBe("net.conntrack-exhaustion");
    expect(report.verdict).toBe("explained");
    expect(report.findings.every((f) => /^F-\d{3}$/.test(f.id ?? ""))).toBe(true);
    expect(run.stderr).toMatch(/fathom: service lane done/);
  });

  it("names the cause in one line first, with file:line evidence, in the terminal report", () => {
    const run = fathom("investigate", "--bundle", tgz);
    expect(run.status).toBe(0);
    expect(run.stdout.split("\n")[0]).toMatch(/^ROOT CAUSE {2}net\.conntrack-exhaustion/);
    expect(run.stdout).toMatch(/kernel\/dmesg[^\s]*:\d+|networking\/conntrack\.txt|sysctls\/sysctl_all\.txt/);
  });

  it("writes a shareable Markdown file with --out", async () => {
    const out = join(dir, "report.md");
    const run = fathom("investigate", "--bundle", tgz, "--format", "markdown", "--out", out);
    expect(run.status).toBe(0);
    expect(await readFile(out, "utf8")).toMatch(/^# fathom investigation inv-/);
  });

  it("refuses invalid input with one line and exit 2", async () => {
    const badFormat = fathom("investigate", "--bundle", tgz, "--format", "yaml");
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr.trim().split("\n")[0]).toMatch(/--format must be/);
    const alarm = join(dir, "alarm.json");
    await writeFile(alarm, JSON.stringify({ id: "x", source: "pagerduty" }));
    const badAlarm = fathom("investigate", "--bundle", tgz, "--alarm", alarm);
    expect(badAlarm.status).toBe(2);
    expect(badAlarm.stderr).toMatch(/is not an incident: source/);
  });

  it("exits 3 when nothing can be read or the incident names another node", async () => {
    const missing = fathom("investigate", "--bundle", join(dir, "nope"));
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/does not exist/);
    const garbage = join(dir, "garbage.tar.gz");
    await writeFile(garbage, "this is not a gzip archive");
    expect(fathom("investigate", "--bundle", garbage).status).toBe(3);
    const other = fathom("investigate", "--bundle", tgz, "--node", "ip-10-9-9-9.ec2.internal");
    expect(other.status).toBe(3);
    expect(other.stderr).toMatch(/out of scope/);
  });

  it("completes with gaps and an inconclusive verdict on a bundle of empty files", async () => {
    const empty = join(dir, "empty");
    const files = new Map<string, string>([
      ["kubelet/kubelet.log", ""],
      ["ipamd/enis.json", ""],
      ["networking/iptables-save.txt", ""],
      ["kernel/dmesg.current", ""],
      ["system/instance-id.txt", "i-0abc123def4567890\n"],
    ]);
    await writeBundleDir(files, empty);
    const run = fathom("investigate", "--bundle", empty, "--at", "2026-11-24T10:30:00Z", "--format", "json");
    expect(run.status, run.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(run.stdout));
    expect(report.verdict).toBe("inconclusive");
    expect(report.rootCauses[0]?.id).toBe("none");
  });
});
