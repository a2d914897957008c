import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeProposal, useTempStores } from "./helpers.ts";

const temp = useTempStores();
const writer = join(import.meta.dirname, "concurrent-writer.ts");

interface Summary {
  proposalsCreated: number;
  decisionsAccepted: number;
  executionsCreated: number;
  incidentsOpened: number;
  audits: number;
}

function runWriter(path: string, worker: number, iterations: number, startAt: number): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, String(worker), String(iterations), String(startAt)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(JSON.parse(stdout) as Summary)
        : reject(new Error(`writer ${worker} exited ${code}: ${stderr}`)),
    );
  });
}

describe("concurrent writers", () => {
  it("four processes on one new file: one migration, one proposal, one decision, one execution, one incident, an intact audit chain", async () => {
    const path = temp.path();
    const workers = 4;
    const iterations = 60;
    const startAt = Date.now() + 1_500;
    const summaries = await Promise.all(
      Array.from({ length: workers }, (_, w) => runWriter(path, w, iterations, startAt)),
    );
    const total = (key: keyof Summary) => summaries.reduce((sum, s) => sum + s[key], 0);
    expect(total("proposalsCreated")).toBe(1);
    expect(total("decisionsAccepted")).toBe(1);
    expect(total("executionsCreated")).toBe(1);
    expect(total("incidentsOpened")).toBe(1);

    const store = temp.open(path);
    expect(store.listProposals({ investigationId: "inv-shared" })).toHaveLength(1);
    expect(store.getIncident("prod|NodeDown|i-0abc123def4567890")?.alarmCount).toBe(workers * iterations);
    for (let w = 0; w < workers; w++) expect(store.getInvestigation(`inv-w${w}`)?.state).toBe(`step-${iterations - 1}`);
    const result = store.verifyAudit();
    // per worker: its audits and snapshot "started"; once: proposal, decision, execution, incident, incident investigation
    expect(result).toMatchObject({ ok: true, records: workers * iterations + workers + 5 });
    expect(store.listAudit().map((r) => r.seq)).toEqual(Array.from({ length: result.records }, (_, i) => i + 1));
  });

  it("two store instances in one process see each other's writes at once", () => {
    const path = temp.path();
    const a = temp.open(path);
    const b = temp.open(path);
    const first = a.saveProposal(makeProposal("inv-1"));
    const second = b.saveProposal(makeProposal("inv-1", { id: "prop-b" }));
    expect(first.created).toBe(true);
    expect(second).toEqual({ proposal: first.proposal, created: false });
    b.saveSnapshot("inv-2", { status: "active", value: "received" }, "received");
    expect(a.getInvestigation("inv-2")?.state).toBe("received");
    expect(a.atomically(() => b.listProposals().length)).toBe(1);
  });
});
