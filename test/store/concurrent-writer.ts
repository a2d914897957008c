// A separate process writing to one store file, started several times at once by concurrency.test.ts.
// Usage: node concurrent-writer.ts <store> <worker> <iterations> <startAtEpochMs>
import { openStore } from "../../src/store/index.ts";
import { CLIENT_TOKEN, makeApproval, makeProposal } from "./fixtures.ts";

const [path, worker, iterations, startAt] = process.argv.slice(2);
if (!path || !worker) throw new Error("usage: concurrent-writer.ts <store> <worker> <iterations> <startAt>");

// Start together, so the writers really contend for the lock (including the first migration).
while (Date.now() < Number(startAt)) {
  /* spin */
}

const store = openStore(path);
const summary = { proposalsCreated: 0, decisionsAccepted: 0, executionsCreated: 0, incidentsOpened: 0, audits: 0 };

const saved = store.saveProposal(makeProposal("inv-shared", { id: `prop-w${worker}` }));
if (saved.created) summary.proposalsCreated++;
const decision = store.recordDecision(
  makeApproval(saved.proposal, {
    id: `appr-w${worker}`,
    expiresAt: "2999-01-01T00:00:00.000Z",
    approver: { user: `worker-${worker}` },
  }),
);
if (decision.ok) summary.decisionsAccepted++;

for (let i = 0; i < Number(iterations); i++) {
  store.appendAudit({ type: "execution", subject: `worker-${worker}`, data: { i } });
  summary.audits++;
  store.saveSnapshot(`inv-w${worker}`, { status: "active", value: `step-${i}`, context: { i } }, `step-${i}`);
  const incident = store.openIncident({
    key: "prod|NodeDown|i-0abc123def4567890",
    alarm: "NodeDown",
    nodes: [{ instanceId: "i-0abc123def4567890" }],
    source: `worker-${worker}`,
    investigationId: `inv-incident-w${worker}`,
  });
  if (incident.outcome === "opened") summary.incidentsOpened++;
}

// Every worker retries the one approved execution with the same client token.
const approvalId = store.listAudit({ type: "decision" })[0]?.data.approvalId;
if (typeof approvalId === "string") {
  const started = store.beginExecution({ proposalId: saved.proposal.id, approvalId, clientToken: CLIENT_TOKEN });
  if (started.created) summary.executionsCreated++;
}
store.close();
process.stdout.write(JSON.stringify(summary));
