import { SSMClient, StartAutomationExecutionCommand } from "@aws-sdk/client-ssm";
import { afterEach, describe, expect, it } from "vitest";
import { planHash, type Approval, type Plan } from "../../src/domain/remediation.ts";
import { silentLogger } from "../../src/logger.ts";
import { clientTokenFor, uuidV5 } from "../../src/remediation/client-token.ts";
import {
  createSsmExecutor,
  RemediationExecutionError,
  toAutomationParameters,
  type SsmExecutorDeps,
} from "../../src/remediation/ssm-executor.ts";
import { startFakeSsm, type FakeSsm, type FakeSsmScript } from "../fakes/fake-ssm-server.ts";

const DOC = "Fathom-RestartContainerd";
const INSTANCE = "i-0123456789abcdef0";

const plan: Plan = {
  document: DOC,
  parameters: { DrainTimeoutSeconds: 120, Force: false, Units: ["containerd", "kubelet"], Reason: "containerd hung" },
  targets: [INSTANCE],
  policyVersion: "policy-1",
};

function approvalOf(p: Plan, id = "A-001"): Approval {
  return {
    id,
    proposalId: "P-001",
    planHash: planHash(p),
    decision: "approved",
    approver: { user: "oncall" },
    decidedAt: "2026-11-24T10:30:00.000Z",
    expiresAt: "2026-11-24T11:30:00.000Z",
  };
}

const fakes: FakeSsm[] = [];
const clients: SSMClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const f of fakes.splice(0)) await f.close();
});

async function fake(script: FakeSsmScript): Promise<FakeSsm> {
  const f = await startFakeSsm(script);
  fakes.push(f);
  return f;
}

function clientFor(f: FakeSsm, maxAttempts = 3): SSMClient {
  const client = new SSMClient({
    region: "us-east-1",
    endpoint: f.url,
    credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
    maxAttempts,
  });
  clients.push(client);
  return client;
}

/** Polling never waits for real: the injected sleep returns at once and only counts. */
function executorFor(client: SSMClient, extra: Partial<SsmExecutorDeps> = {}) {
  const sleeps: number[] = [];
  const executor = createSsmExecutor({
    client,
    logger: silentLogger(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { executor, sleeps };
}

const starts = (f: FakeSsm) => f.requests.filter((r) => r.operation === "StartAutomationExecution");

async function rejection(promise: Promise<unknown>): Promise<RemediationExecutionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemediationExecutionError);
  return error as RemediationExecutionError;
}

describe("clientTokenFor", () => {
  it("produces the RFC 4122 example UUIDv5 for a known name and namespace", () => {
    // DNS namespace and "www.example.com", the vector Python's uuid.uuid5 also gives.
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  it("is a version 5 UUID with the RFC 4122 variant", () => {
    const token = clientTokenFor(planHash(plan), "A-001");
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("is the same for the same plan and approval, every time", () => {
    expect(clientTokenFor(planHash(plan), "A-001")).toBe(
      clientTokenFor(planHash({ ...plan, targets: [INSTANCE] }), "A-001"),
    );
  });

  it("differs for a new approval of the same plan and for a different plan under the same approval id", () => {
    const token = clientTokenFor(planHash(plan), "A-001");
    expect(clientTokenFor(planHash(plan), "A-002")).not.toBe(token);
    expect(clientTokenFor(planHash({ ...plan, policyVersion: "policy-2" }), "A-001")).not.toBe(token);
  });

  it("refuses an empty plan hash or approval id", () => {
    expect(() => clientTokenFor("", "A-001")).toThrow(TypeError);
    expect(() => clientTokenFor(planHash(plan), "")).toThrow(TypeError);
  });
});

describe("toAutomationParameters", () => {
  it("turns every value into a string list and passes the targets as InstanceIds", () => {
    expect(toAutomationParameters(plan, "arn:aws:iam::111122223333:role/fathom-automation")).toEqual({
      DrainTimeoutSeconds: ["120"],
      Force: ["false"],
      Units: ["containerd", "kubelet"],
      Reason: ["containerd hung"],
      InstanceIds: [INSTANCE],
      AutomationAssumeRole: ["arn:aws:iam::111122223333:role/fathom-automation"],
    });
  });

  it("keeps an assume role the plan sets itself", () => {
    const withRole = {
      ...plan,
      parameters: { ...plan.parameters, AutomationAssumeRole: "arn:aws:iam::111122223333:role/plan-role" },
    };
    expect(toAutomationParameters(withRole, "arn:aws:iam::111122223333:role/default").AutomationAssumeRole).toEqual([
      "arn:aws:iam::111122223333:role/plan-role",
    ]);
  });

  it("refuses a plan whose InstanceIds parameter names other instances than its targets", () => {
    const confused = { ...plan, parameters: { ...plan.parameters, InstanceIds: ["i-0fffffffffffffff0"] } };
    expect(() => toAutomationParameters(confused)).toThrow(/differs from its targets/);
  });
});

describe("the SSM executor against a loopback SSM endpoint", () => {
  it("starts the approved document, reports each status change and returns the outputs on success", async () => {
    const f = await fake({
      documents: {
        [DOC]: { kind: "success", inProgressPolls: 3, outputs: { "RestartContainerd.Output": ["restarted"] } },
      },
    });
    const { executor, sleeps } = executorFor(clientFor(f), { pollIntervalMs: 1_000, maxPollIntervalMs: 3_000 });
    const signal = new AbortController().signal;

    const { executionId, clientToken } = await executor.start(plan, approvalOf(plan), signal);
    const statuses: string[] = [];
    const outcome = await executor.waitForTerminal(executionId, signal, (s) => statuses.push(s));

    expect(outcome).toEqual({ executionId, status: "Success", outputs: { "RestartContainerd.Output": ["restarted"] } });
    expect(statuses).toEqual(["InProgress", "Success"]);
    expect(sleeps).toEqual([1_000, 2_000, 3_000]);
    const [start] = starts(f);
    expect(start?.body).toEqual({
      DocumentName: DOC,
      ClientToken: clientToken,
      Parameters: {
        DrainTimeoutSeconds: ["120"],
        Force: ["false"],
        Units: ["containerd", "kubelet"],
        Reason: ["containerd hung"],
        InstanceIds: [INSTANCE],
      },
    });
    expect(clientToken).toBe(clientTokenFor(planHash(plan), "A-001"));
  });

  it("returns Failed with the automation's failure message", async () => {
    const f = await fake({
      documents: {
        [DOC]: { kind: "failure", inProgressPolls: 1, failureMessage: "Step RestartContainerd failed: exit status 1" },
      },
    });
    const { executor } = executorFor(clientFor(f));
    const signal = new AbortController().signal;
    const { executionId } = await executor.start(plan, approvalOf(plan), signal);

    const outcome = await executor.waitForTerminal(executionId, signal);

    expect(outcome.status).toBe("Failed");
    expect(outcome.failureMessage).toBe("Step RestartContainerd failed: exit status 1");
  });

  it("lets the SDK's own retries absorb a short burst of throttling without starting twice", async () => {
    const f = await fake({
      documents: { [DOC]: { kind: "success", inProgressPolls: 0 } },
      throttleFirst: { StartAutomationExecution: 1, GetAutomationExecution: 1 },
    });
    const { executor } = executorFor(clientFor(f, 3));
    const signal = new AbortController().signal;

    const { executionId } = await executor.start(plan, approvalOf(plan), signal);
    const outcome = await executor.waitForTerminal(executionId, signal);

    expect(outcome.status).toBe("Success");
    expect(starts(f).map((r) => r.errorCode ?? "ok")).toEqual(["ThrottlingException", "ok"]);
    expect(f.executions).toHaveLength(1);
  });

  it("keeps polling when throttling outlasts the SDK's retries", async () => {
    const f = await fake({
      documents: { [DOC]: { kind: "success", inProgressPolls: 1 } },
      throttleFirst: { GetAutomationExecution: 4 },
    });
    // One SDK attempt per call, so every throttle reaches fathom's own loop (and no real backoff delays the test).
    const { executor, sleeps } = executorFor(clientFor(f, 1), { pollIntervalMs: 500 });
    const signal = new AbortController().signal;
    const { executionId } = await executor.start(plan, approvalOf(plan), signal);

    const outcome = await executor.waitForTerminal(executionId, signal);

    expect(outcome.status).toBe("Success");
    expect(f.requests.filter((r) => r.errorCode === "ThrottlingException")).toHaveLength(4);
    expect(sleeps.slice(0, 4)).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it("gives up with a throttled error once its own retries are spent", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success" } }, throttleFirst: { GetAutomationExecution: 100 } });
    const { executor } = executorFor(clientFor(f, 1), { maxRetries: 2 });
    const signal = new AbortController().signal;
    const { executionId } = await executor.start(plan, approvalOf(plan), signal);

    const error = await rejection(executor.waitForTerminal(executionId, signal));

    expect(error.code).toBe("throttled");
    expect(error.awsError).toBe("ThrottlingException");
  });

  it("cancels a slow automation through StopAutomationExecution when the signal aborts, and ends Cancelled", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "slow" } } });
    const controller = new AbortController();
    let polls = 0;
    const executor = createSsmExecutor({
      client: clientFor(f),
      logger: silentLogger(),
      sleep: async () => {
        if (++polls === 3) controller.abort(new Error("investigation aborted"));
      },
    });
    const { executionId } = await executor.start(plan, approvalOf(plan), controller.signal);

    const outcome = await executor.waitForTerminal(executionId, controller.signal);

    expect(outcome).toMatchObject({ executionId, status: "Cancelled", stoppedBy: "signal" });
    const stops = f.requests.filter((r) => r.operation === "StopAutomationExecution");
    expect(stops.map((r) => r.body)).toEqual([{ AutomationExecutionId: executionId, Type: "Cancel" }]);
    expect(f.executions[0]?.status).toBe("Cancelled");
  });

  it("interrupts the wait between polls at once when the signal aborts", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "slow" } } });
    const controller = new AbortController();
    // The real sleep and a ten-minute interval: only an abort that interrupts the wait lets this finish within the test timeout.
    const executor = createSsmExecutor({ client: clientFor(f), logger: silentLogger(), pollIntervalMs: 600_000 });
    const { executionId } = await executor.start(plan, approvalOf(plan), controller.signal);

    const outcome = await executor.waitForTerminal(executionId, controller.signal, () =>
      setImmediate(() => controller.abort()),
    );

    expect(outcome.status).toBe("Cancelled");
    expect(f.executions[0]?.stopRequests).toBe(1);
  });

  it("cancels the automation when it outlasts fathom's deadline", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "slow" } } });
    let clock = 0;
    const executor = createSsmExecutor({
      client: clientFor(f),
      logger: silentLogger(),
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      pollIntervalMs: 10_000,
      maxPollIntervalMs: 10_000,
      timeoutMs: 60_000,
    });
    const signal = new AbortController().signal;
    const { executionId } = await executor.start(plan, approvalOf(plan), signal);

    const outcome = await executor.waitForTerminal(executionId, signal);

    expect(outcome).toMatchObject({ status: "Cancelled", stoppedBy: "deadline" });
    expect(outcome.failureMessage).toMatch(/stopped waiting after 60000 ms/);
    expect(f.executions[0]?.status).toBe("Cancelled");
  });

  it("reports the real outcome when the automation finished before the cancel arrived", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success", inProgressPolls: 0 } } });
    const { executor } = executorFor(clientFor(f));
    const signal = new AbortController().signal;
    const { executionId } = await executor.start(plan, approvalOf(plan), signal);
    await executor.waitForTerminal(executionId, signal);

    const aborted = AbortSignal.abort();
    const outcome = await executor.waitForTerminal(executionId, aborted);

    expect(outcome.status).toBe("Success");
    expect(f.requests.find((r) => r.operation === "StopAutomationExecution")?.errorCode).toBe(
      "InvalidAutomationStatusUpdateException",
    );
  });

  it("says the automation may still be running when SSM refuses to cancel it", async () => {
    const f = await fake({
      documents: { [DOC]: { kind: "slow" } },
      failCall: {
        StopAutomationExecution: {
          1: { code: "AccessDeniedException", message: "not authorized to perform: ssm:StopAutomationExecution" },
        },
      },
    });
    const { executor } = executorFor(clientFor(f));
    const { executionId } = await executor.start(plan, approvalOf(plan), new AbortController().signal);

    const error = await rejection(executor.waitForTerminal(executionId, AbortSignal.abort()));

    expect(error.code).toBe("access-denied");
    expect(error.message).toMatch(/may still be running/);
    expect(error.message).toMatch(/ssm:StopAutomationExecution/);
  });

  it("explains access denied as a permission the role fathom runs as is missing", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "access-denied" } } });
    const { executor } = executorFor(clientFor(f));

    const error = await rejection(executor.start(plan, approvalOf(plan), new AbortController().signal));

    expect(error.code).toBe("access-denied");
    expect(error.awsError).toBe("AccessDeniedException");
    expect(error.message).toMatch(/the role fathom runs as may not call ssm:StartAutomationExecution/);
    expect(f.executions).toHaveLength(0);
  });

  it("explains a missing document and names it", async () => {
    const f = await fake({ documents: {} });
    const { executor } = executorFor(clientFor(f));

    const error = await rejection(executor.start(plan, approvalOf(plan), new AbortController().signal));

    expect(error.code).toBe("document-not-found");
    expect(error.message).toContain(`"${DOC}"`);
    expect(error.message).toMatch(/create it from workflows\/ or fix the remediation catalog entry/);
  });

  it("explains parameters the document rejects", async () => {
    const f = await fake({
      documents: {
        [DOC]: { kind: "invalid-parameters", message: "Parameter DrainTimeoutSeconds is not defined in the document" },
      },
    });
    const { executor } = executorFor(clientFor(f));

    const error = await rejection(executor.start(plan, approvalOf(plan), new AbortController().signal));

    expect(error.code).toBe("invalid-parameters");
    expect(error.message).toMatch(/DrainTimeoutSeconds is not defined/);
  });

  it("refuses, before calling SSM, a plan that differs from the approved one or an approval that says no", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success" } } });
    const { executor } = executorFor(clientFor(f));
    const signal = new AbortController().signal;
    const changed: Plan = { ...plan, targets: ["i-0fffffffffffffff0"] };

    expect((await rejection(executor.start(changed, approvalOf(plan), signal))).code).toBe("not-approved");
    expect((await rejection(executor.start(plan, { ...approvalOf(plan), decision: "rejected" }, signal))).code).toBe(
      "not-approved",
    );
    expect(f.requests).toHaveLength(0);
  });

  it("runs an approved plan once even when a restored investigation starts it again with a new client", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success", inProgressPolls: 2 } } });
    const approval = approvalOf(plan);
    const first = executorFor(clientFor(f)).executor;
    const { executionId } = await first.start(plan, approval, new AbortController().signal);
    // The first process dies mid-execution; a new one restores the investigation and re-runs the start.
    clients.splice(0).forEach((c) => c.destroy());
    const second = executorFor(clientFor(f)).executor;

    const again = await second.start(plan, approval, new AbortController().signal);
    const outcome = await second.waitForTerminal(again.executionId, new AbortController().signal);

    expect(again.executionId).toBe(executionId);
    expect(outcome.status).toBe("Success");
    expect(starts(f)).toHaveLength(2);
    expect(f.executions).toHaveLength(1);
  });

  it("starts a second execution for a new approval of the same plan", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success" } } });
    const { executor } = executorFor(clientFor(f));
    const signal = new AbortController().signal;

    const first = await executor.start(plan, approvalOf(plan, "A-001"), signal);
    const second = await executor.start(plan, approvalOf(plan, "A-002"), signal);

    expect(second.executionId).not.toBe(first.executionId);
    expect(f.executions).toHaveLength(2);
  });

  it("refuses rather than runs twice when a restored run sends a different request under the same approval", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success" } } });
    const signal = new AbortController().signal;
    await executorFor(clientFor(f)).executor.start(plan, approvalOf(plan), signal);
    // fathom's settings changed between the crash and the restore: the request is no longer the approved one.
    const restored = executorFor(clientFor(f), {
      automationAssumeRole: "arn:aws:iam::111122223333:role/other",
    }).executor;

    const error = await rejection(restored.start(plan, approvalOf(plan), signal));

    expect(error.code).toBe("idempotency-mismatch");
    expect(f.executions).toHaveLength(1);
  });
});

describe("the fake SSM endpoint", () => {
  it("rejects a client token that is not a UUID, as SSM does", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success" } } });
    const client = clientFor(f);

    const error = await client
      .send(new StartAutomationExecutionCommand({ DocumentName: DOC, ClientToken: "retry-1" }))
      .catch((e: unknown) => e);

    expect((error as Error).name).toBe("ValidationException");
    expect(f.executions).toHaveLength(0);
  });

  it("treats client tokens case-insensitively and never reuses one for a new execution", async () => {
    const f = await fake({ documents: { [DOC]: { kind: "success", inProgressPolls: 0 } } });
    const client = clientFor(f);
    const token = clientTokenFor(planHash(plan), "A-001");

    const first = await client.send(new StartAutomationExecutionCommand({ DocumentName: DOC, ClientToken: token }));
    const upper = await client.send(
      new StartAutomationExecutionCommand({ DocumentName: DOC, ClientToken: token.toUpperCase() }),
    );
    const changed = await client
      .send(new StartAutomationExecutionCommand({ DocumentName: DOC, ClientToken: token, Parameters: { X: ["1"] } }))
      .catch((e: unknown) => e);

    expect(upper.AutomationExecutionId).toBe(first.AutomationExecutionId);
    expect((changed as Error).name).toBe("IdempotentParameterMismatch");
    expect(f.executions).toHaveLength(1);
  });
});
