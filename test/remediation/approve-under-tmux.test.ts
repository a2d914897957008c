import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { startFakeSsm, type FakeSsm } from "../fakes/fake-ssm-server.ts";
import { TmuxSession } from "../helpers/tmux.ts";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "bin", "fathom.mjs");
let dir: string;
let ssm: FakeSsm;
let policy: string;
let sessions: TmuxSession[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fathom-approve-"));
  ssm = await startFakeSsm({
    documents: {
      "Fathom-RaiseConntrackLimit": { kind: "success", inProgressPolls: 1 },
      "AWS-RestartEC2Instance": { kind: "success" },
    },
  });
  policy = join(dir, "policy.yaml");
  await writeFile(
    policy,
    [
      "apiVersion: fathom/v1",
      "scope: { accounts: ['111122223333'], regions: [us-east-1], clusters: [prod-shop] }",
      "execution: { assumeRole: 'arn:aws:iam::111122223333:role/fathom-remediation', maxTargets: 3 }",
      "documents: { allow: [Fathom-RaiseConntrackLimit, AWS-RestartEC2Instance] }",
      `approval: { ttl: 15m, approvers: [${userInfo().username}] }`,
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await ssm.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const s of sessions) s.kill();
  sessions = [];
});

function replay(store: string, scenario: string, extra: string[] = []): TmuxSession {
  const session = new TmuxSession(
    `fathom-approve-${process.pid}-${sessions.length}`,
    [
      process.execPath,
      bin,
      "replay",
      join(root, "scenarios", scenario),
      "--interactive",
      "--policy",
      policy,
      "--store",
      store,
      ...extra,
    ],
    {
      cwd: root,
      width: 200,
      height: 60,
      env: {
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL_SSM: ssm.url,
        AWS_ACCESS_KEY_ID: "AKIDFAKEFAKEFAKE",
        AWS_SECRET_ACCESS_KEY: "fake-secret",
        AWS_ACCOUNT_ID: "111122223333",
        FATHOM_LOG_LEVEL: "error",
      },
    },
  );
  sessions.push(session);
  return session;
}

const fathom = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

describe("approving a remediation in a real terminal", () => {
  it("runs the approved plan once against SSM, verifies it on the after-bundle, and leaves an audit trail that verifies — until a record is edited", async () => {
    const store = join(dir, "approve.db");
    const tmux = replay(store, "remediate-conntrack-table-full");
    const asked = await tmux.waitFor(/Run Fathom-RaiseConntrackLimit on i-/, 90_000);
    expect(asked).toMatch(/Root cause {3}net\.conntrack-exhaustion/);
    expect(asked).toMatch(/Plan hash {4}sha256:[0-9a-f]{64}/);
    expect(asked).toMatch(/Rollback/);
    expect(ssm.executions).toHaveLength(0);
    tmux.send("Enter");
    await tmux.waitFor(/Approve plan sha256/, 20_000);
    tmux.send("y", "Enter");
    const done = await tmux.waitFor(/=> (done|failed|refused)/, 90_000);
    expect(done).toMatch(
      /=> done: Fathom-RaiseConntrackLimit ran as .+ \((Success|CompletedWithSuccess)\); verification: cleared/,
    );
    expect(ssm.executions).toHaveLength(1);
    expect(ssm.executions[0]?.parameters.InstanceIds).toEqual(["i-0abc123def4567890"]);

    const verify = fathom("audit", "verify", "--store", store);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const s = openStore(store);
    const decision = s.listAudit({ type: "decision" })[0];
    expect(JSON.stringify(decision?.actor)).toContain(userInfo().username);
    s.close();
    // An attacker edits a decision record directly in the file.
    const db = new DatabaseSync(store);
    db.exec("DROP TRIGGER IF EXISTS audit_no_update");
    db.prepare("UPDATE audit SET data = replace(data, 'approved', 'rejected') WHERE type = 'decision'").run();
    db.close();
    const tampered = fathom("audit", "verify", "--store", store);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout + tampered.stderr).toMatch(/edited/);
  });

  it("runs nothing when the person rejects, and records why", async () => {
    const store = join(dir, "reject.db");
    const before = ssm.executions.length;
    const tmux = replay(store, "remediate-conntrack-table-full");
    await tmux.waitFor(/Run Fathom-RaiseConntrackLimit/, 90_000);
    tmux.send("Down", "Enter");
    await tmux.waitFor(/Why reject/, 20_000);
    tmux.send("not during the sale", "Enter");
    await tmux.waitFor(/=> rejected/, 30_000);
    expect(ssm.executions.length).toBe(before);
    const s = openStore(store);
    expect(s.listProposals({ status: "rejected" })).toHaveLength(1);
    expect(s.listAudit({ type: "decision" })[0]?.data).toMatchObject({ reason: "not during the sale" });
    s.close();
  });

  it("does not approve a high-risk plan when the typed instance id is wrong", async () => {
    const store = join(dir, "typo.db");
    const before = ssm.executions.length;
    const tmux = replay(store, "team-kernel-hang", []);
    await tmux.waitFor(/Run AWS-RestartEC2Instance/, 90_000);
    tmux.send("Enter");
    await tmux.waitFor(/High risk: type the target instance id/, 20_000);
    tmux.send("i-0abc123def4567899", "Enter");
    await tmux.waitFor(/=> pending/, 30_000);
    expect(ssm.executions.length).toBe(before);
    const s = openStore(store);
    expect(s.listProposals({ status: "pending" })).toHaveLength(1);
    s.close();
  });

  it("approves nothing when nobody answers in time", async () => {
    const store = join(dir, "timeout.db");
    const before = ssm.executions.length;
    const tmux = replay(store, "remediate-conntrack-table-full", ["--timeout", "2"]);
    await tmux.waitFor(/Run Fathom-RaiseConntrackLimit/, 90_000);
    await tmux.waitFor(/=> pending: no answer within 2 s/, 30_000);
    expect(ssm.executions.length).toBe(before);
  });
});

describe("without a terminal", () => {
  it("leaves the proposal pending and says so in the exit code", () => {
    const store = join(dir, "notty.db");
    const run = spawnSync(
      process.execPath,
      [
        bin,
        "replay",
        join(root, "scenarios", "remediate-conntrack-table-full"),
        "--interactive",
        "--policy",
        policy,
        "--store",
        store,
      ],
      {
        encoding: "utf8",
        env: {
          ...process.env,
          AWS_REGION: "us-east-1",
          AWS_ENDPOINT_URL_SSM: ssm.url,
          AWS_ACCESS_KEY_ID: "AKIDFAKEFAKEFAKE",
          AWS_SECRET_ACCESS_KEY: "x",
          AWS_ACCOUNT_ID: "111122223333",
        },
        input: "",
      },
    );
    expect(run.status, run.stderr).toBe(4);
    expect(run.stdout).toMatch(/=> pending: no terminal/);
    const approve = spawnSync(process.execPath, [bin, "approve", "--store", store, "--policy", policy], {
      encoding: "utf8",
      input: "",
    });
    expect(approve.status).toBe(4);
    expect(approve.stderr).toMatch(/nothing was approved/);
  });
});
