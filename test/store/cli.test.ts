import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runAuditCommand } from "../../src/cli/commands/audit.ts";
import { runListCommand } from "../../src/cli/commands/list.ts";
import { runShowCommand } from "../../src/cli/commands/show.ts";
import { CliError } from "../../src/cli/cli-error.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import { makeProposal, makeReport, manualClock, useTempStores } from "./helpers.ts";

const temp = useTempStores();

async function run(
  command: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await command(argv), stdout };
  } finally {
    spy.mockRestore();
  }
}

async function failure(command: (argv: string[]) => Promise<number>, argv: string[]): Promise<CliError> {
  const error = await command(argv).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

/** A store with two investigations: one reported with a pending proposal, one still running. */
function populated(): string {
  const path = temp.path();
  const clock = manualClock();
  const store = temp.open(path, clock);
  store.saveReport("inv-done", makeReport("inv-done"));
  store.saveProposal(makeProposal("inv-done"));
  clock.advance(60_000);
  store.saveSnapshot(
    "inv-running",
    { status: "active", value: { investigating: {} }, context: { incident: { title: "NodeDown" } } },
    JSON.stringify({ investigating: {} }),
  );
  store.close();
  return path;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("fathom audit verify", () => {
  it("exits 0 and says the trail is intact, with its record count", async () => {
    const path = populated();
    const { code, stdout } = await run(runAuditCommand, ["verify", "--store", path]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^audit trail intact: 3 records \(1 proposal, 2 investigation\) \(head 3 sha256:[0-9a-f]{64}\)\n$/,
    );
  });

  it("exits 1 naming the first broken record and why", async () => {
    const path = populated();
    const db = new DatabaseSync(path);
    db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET subject = 'someone-else' WHERE seq = 2;");
    db.close();
    const { code, stdout } = await run(runAuditCommand, ["verify", "--store", path]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^audit trail broken at record 2 \(edited\): record 2 \(proposal someone-else\) does not match its hash/,
    );
    const json = await run(runAuditCommand, ["verify", "--store", path, "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      firstBad: { seq: 2, problem: "edited" },
      triggersIntact: false,
    });
  });

  it("reads the store from $FATHOM_STORE, and refuses a missing store with exit 2", async () => {
    const path = populated();
    vi.stubEnv("FATHOM_STORE", path);
    expect((await run(runAuditCommand, ["verify"])).code).toBe(0);
    const error = await failure(runAuditCommand, ["verify", "--store", temp.path()]);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/no store at/);
  });
});

describe("fathom list", () => {
  it("lists investigations newest first with root cause and pending proposals", async () => {
    const { code, stdout } = await run(runListCommand, ["--store", populated()]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATE\s+CREATED\s+ROOT CAUSE\s+PENDING\s+TITLE$/);
    expect(lines[1]).toMatch(/^inv-running\s+investigating\s+2026-11-24T10:31:00Z\s+—\s+0\s+NodeDown$/);
    expect(lines[2]).toMatch(
      /^inv-done\s+reported\s+2026-11-24T10:30:00Z\s+net\.conntrack-exhaustion \(0\.92\)\s+1\s+KubeNodeNotReady$/,
    );
  });

  it("filters by state and prints JSON", async () => {
    const { stdout } = await run(runListCommand, ["--store", populated(), "--state", "reported", "--format", "json"]);
    expect(JSON.parse(stdout)).toMatchObject([
      { id: "inv-done", pendingProposals: 1, rootCause: { id: "net.conntrack-exhaustion" } },
    ]);
  });

  it("says there is nothing yet when no store exists, without creating one", async () => {
    const path = temp.path();
    expect(await run(runListCommand, ["--store", path])).toEqual({ code: 0, stdout: "no investigations\n" });
  });

  it("refuses a file that is not a fathom store with exit 2", async () => {
    const path = temp.path();
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE t (x)");
    db.close();
    expect((await failure(runListCommand, ["--store", path])).message).toMatch(/did not create/);
  });
});

describe("fathom show", () => {
  it("renders the stored report as text, with its proposals", async () => {
    const { code, stdout } = await run(runShowCommand, ["inv-done", "--store", populated()]);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/^ROOT CAUSE {2}net\.conntrack-exhaustion/);
    expect(stdout).toMatch(
      /Proposals\n {2}prop-inv-done \[pending\] Fathom-RaiseConntrackLimit on i-0abc123def4567890 · risk low · sha256:/,
    );
  });

  it("prints the stored report as JSON, the same document investigate prints", async () => {
    const { stdout } = await run(runShowCommand, ["inv-done", "--store", populated(), "--format", "json"]);
    expect(ReportSchema.parse(JSON.parse(stdout))).toEqual(JSON.parse(JSON.stringify(makeReport("inv-done"))));
  });

  it("exits 1 for an investigation without a report, 2 for an unknown id", async () => {
    const path = populated();
    expect(await failure(runShowCommand, ["inv-running", "--store", path])).toMatchObject({
      exitCode: 1,
      message: "investigation inv-running has no report yet (state: investigating)",
    });
    expect((await failure(runShowCommand, ["inv-nope", "--store", path])).exitCode).toBe(2);
    expect((await failure(runShowCommand, ["--store", path])).exitCode).toBe(2);
  });
});
