import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { CLIENT_TOKEN, makeApproval, makeProposal, makeReport, manualClock, useTempStores } from "./helpers.ts";

const temp = useTempStores();

const SECRETS = {
  accessKey: "AKIAQWERTYUIOPASDFGH",
  secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
  sessionToken: "FwoGZXIvYXdzEJr//////////wEaDOLk1234567890abcdefghijklmnopqrstuvwxyzABCDEF",
  dbPassword: "hunter2-is-not-a-password",
  bearer: "sk-live-0123456789abcdefghij",
  jwt: "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl",
  eksToken: "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5",
};

/** Every file of the store (the database, and any WAL or journal left beside it), as raw bytes. */
function rawBytes(path: string): string {
  const dir = dirname(path);
  return readdirSync(dir)
    .map((name) => readFileSync(join(dir, name)).toString("latin1"))
    .join("\n");
}

describe("what the store writes", () => {
  it("never holds a secret planted in a report, snapshot, proposal, decision, alarm or audit record", () => {
    const path = temp.path();
    const store = openStore(path, { clock: manualClock() });
    const report = makeReport("inv-1");
    const finding = report.findings[0];
    if (!finding) throw new Error("fixture has a finding");
    finding.summary = `kubelet env AWS_SECRET_ACCESS_KEY=${SECRETS.secretKey} AWS_ACCESS_KEY_ID=${SECRETS.accessKey}`;
    finding.evidence = [
      {
        source: "kubelet/kubelet.log",
        line: 3,
        excerpt: `err="rpc error: Authorization: Bearer ${SECRETS.bearer} denied"`,
      },
    ];
    finding.attributes = { password: SECRETS.dbPassword, token: SECRETS.jwt };
    report.incident.labels = { alertname: "NodeDown", session_token: SECRETS.sessionToken };
    report.gaps = [{ source: "var_log/user-data.log", reason: `bootstrap failed: token ${SECRETS.eksToken}` }];
    store.saveReport("inv-1", report);
    store.saveSnapshot(
      "inv-1",
      {
        status: "active",
        value: "synthesizing",
        context: {
          incident: report.incident,
          note: `export AWS_SESSION_TOKEN=${SECRETS.sessionToken}`,
          execution: { clientToken: CLIENT_TOKEN },
        },
      },
      "synthesizing",
    );

    const proposal = store.saveProposal(
      makeProposal("inv-1", {
        summary: `restart with --db-password ${SECRETS.dbPassword}`,
        parameters: { ApiKey: SECRETS.bearer, ConntrackMax: 524288 },
      }),
    ).proposal;
    store.recordDecision(makeApproval(proposal, { reason: `ok, creds were AKIA… no: ${SECRETS.accessKey}` }));
    store.beginExecution({ proposalId: proposal.id, approvalId: `appr-${proposal.id}`, clientToken: CLIENT_TOKEN });
    store.updateExecution(CLIENT_TOKEN, {
      status: "Failed",
      error: `AccessDenied for session ${SECRETS.sessionToken}`,
    });
    store.recordAlarm({
      receiver: "alertmanager",
      incident: { ...report.incident, labels: { alertname: "NodeDown", api_key: SECRETS.bearer } },
      status: "firing",
      outcome: "investigation-started",
    });
    store.appendAudit({
      type: "incident",
      subject: "k",
      actor: { user: "ops", displayName: `token=${SECRETS.jwt}` },
      data: { note: `password=${SECRETS.dbPassword}` },
    });
    store.close();

    const bytes = rawBytes(path);
    for (const [name, secret] of Object.entries(SECRETS))
      expect(bytes.includes(secret), `${name} reached the database file`).toBe(false);
    // The planted values did reach the file, redacted: this test can fail.
    expect(bytes).toContain("AWS_SECRET_ACCESS_KEY=[REDACTED]");
    expect(bytes).toContain("Bearer [REDACTED]");
    // SSM's idempotency token is an identifier, not a secret: it survives, or a restore would run twice.
    expect(bytes).toContain(CLIENT_TOKEN);

    const reopened = temp.open(path);
    expect(reopened.verifyAudit().ok).toBe(true);
    expect(reopened.getExecution(CLIENT_TOKEN)?.clientToken).toBe(CLIENT_TOKEN);
    expect(
      (reopened.getInvestigation("inv-1")?.snapshot as { context: { execution: { clientToken: string } } }).context
        .execution.clientToken,
    ).toBe(CLIENT_TOKEN);
  });
});
