import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { canonicalJson } from "../../src/domain/remediation.ts";

/** How an automation of one document behaves. A document the script does not name does not exist. */
export type FakeAutomationOutcome =
  | { kind: "success"; inProgressPolls?: number; outputs?: Record<string, string[]> }
  | { kind: "failure"; inProgressPolls?: number; failureMessage: string }
  /** Stays InProgress until StopAutomationExecution cancels it. */
  | { kind: "slow" }
  | { kind: "access-denied" }
  | { kind: "invalid-parameters"; message?: string };

export type FakeSsmOperation =
  "StartAutomationExecution" | "GetAutomationExecution" | "StopAutomationExecution" | "DescribeAutomationExecutions";

export type FakeSsmError = { code: string; message?: string; status?: number };

export type FakeSsmScript = {
  documents: Record<string, FakeAutomationOutcome>;
  /** The first K calls of an operation answer ThrottlingException. */
  throttleFirst?: Partial<Record<FakeSsmOperation, number>>;
  /** Per call: the Nth call (1-based) of an operation answers this error. */
  failCall?: Partial<Record<FakeSsmOperation, Record<number, FakeSsmError>>>;
};

export type FakeSsmRequest = { operation: string; body: Record<string, unknown>; answered: number; errorCode?: string };

export type FakeExecution = {
  id: string;
  documentName: string;
  parameters: Record<string, string[]>;
  clientToken?: string;
  status: string;
  polls: number;
  stopRequests: number;
  outcome: FakeAutomationOutcome;
  startedAt: number;
};

export type FakeSsm = {
  url: string;
  requests: FakeSsmRequest[];
  executions: FakeExecution[];
  close(): Promise<void>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TERMINAL = new Set([
  "Success",
  "Failed",
  "TimedOut",
  "Cancelled",
  "CompletedWithSuccess",
  "CompletedWithFailure",
  "Rejected",
  "Exited",
]);

class SsmFault extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * A loopback SSM endpoint speaking the AmazonSSM JSON 1.1 protocol for the automation calls, strict
 * where the real API is strict: signed requests only, ClientToken must be a UUID (compared
 * case-insensitively), a token maps to one execution forever (the same request gets the same id
 * back, a different request gets IdempotentParameterMismatch).
 */
export async function startFakeSsm(script: FakeSsmScript): Promise<FakeSsm> {
  const requests: FakeSsmRequest[] = [];
  const executions: FakeExecution[] = [];
  const tokens = new Map<string, { fingerprint: string; executionId: string }>();
  const calls = new Map<string, number>();

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartAutomationExecution(body) {
      const documentName = stringField(body, "DocumentName", true);
      const parameters = (body.Parameters ?? {}) as Record<string, string[]>;
      const token = stringField(body, "ClientToken", false);
      const { ClientToken: _token, ...request } = body;
      const fingerprint = canonicalJson(request);
      if (token !== undefined) {
        if (!UUID.test(token)) {
          throw new SsmFault(
            "ValidationException",
            `1 validation error detected: Value '${token}' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}`,
          );
        }
        const seen = tokens.get(token.toLowerCase());
        if (seen) {
          if (seen.fingerprint !== fingerprint)
            throw new SsmFault(
              "IdempotentParameterMismatch",
              "The client token was already used with different parameters.",
            );
          return { AutomationExecutionId: seen.executionId };
        }
      }
      const outcome = script.documents[documentName];
      if (!outcome)
        throw new SsmFault("AutomationDefinitionNotFoundException", `Automation definition ${documentName} not found`);
      if (outcome.kind === "access-denied") {
        throw new SsmFault(
          "AccessDeniedException",
          `User: arn:aws:sts::111122223333:assumed-role/fathom/session is not authorized to perform: ssm:StartAutomationExecution on resource: arn:aws:ssm:us-east-1:111122223333:automation-definition/${documentName}:$DEFAULT`,
        );
      }
      if (outcome.kind === "invalid-parameters")
        throw new SsmFault(
          "InvalidAutomationExecutionParametersException",
          outcome.message ?? "Parameters are not valid for this document",
        );
      const execution: FakeExecution = {
        id: randomUUID(),
        documentName,
        parameters,
        ...(token !== undefined ? { clientToken: token } : {}),
        status: "Pending",
        polls: 0,
        stopRequests: 0,
        outcome,
        startedAt: Date.now(),
      };
      executions.push(execution);
      if (token !== undefined) tokens.set(token.toLowerCase(), { fingerprint, executionId: execution.id });
      return { AutomationExecutionId: execution.id };
    },

    GetAutomationExecution(body) {
      const execution = find(stringField(body, "AutomationExecutionId", true));
      execution.polls++;
      advance(execution);
      return {
        AutomationExecution: {
          AutomationExecutionId: execution.id,
          DocumentName: execution.documentName,
          DocumentVersion: "1",
          AutomationExecutionStatus: execution.status,
          ExecutionStartTime: execution.startedAt / 1000,
          Parameters: execution.parameters,
          Mode: "Auto",
          ...(execution.status === "Success" && execution.outcome.kind === "success"
            ? { Outputs: execution.outcome.outputs ?? {} }
            : {}),
          ...(execution.status === "Failed" && execution.outcome.kind === "failure"
            ? { FailureMessage: execution.outcome.failureMessage }
            : {}),
        },
      };
    },

    StopAutomationExecution(body) {
      const execution = find(stringField(body, "AutomationExecutionId", true));
      execution.stopRequests++;
      if (TERMINAL.has(execution.status))
        throw new SsmFault(
          "InvalidAutomationStatusUpdateException",
          `Automation execution ${execution.id} is already ${execution.status}`,
        );
      execution.status = "Cancelled";
      return {};
    },

    DescribeAutomationExecutions() {
      return {
        AutomationExecutionMetadataList: executions.map((e) => ({
          AutomationExecutionId: e.id,
          DocumentName: e.documentName,
          AutomationExecutionStatus: e.status,
          ExecutionStartTime: e.startedAt / 1000,
        })),
      };
    },
  };

  function find(id: string): FakeExecution {
    const execution = executions.find((e) => e.id === id);
    if (!execution) throw new SsmFault("AutomationExecutionNotFoundException", `Automation execution ${id} not found`);
    return execution;
  }

  function advance(execution: FakeExecution): void {
    if (TERMINAL.has(execution.status)) return;
    const { outcome } = execution;
    if (outcome.kind === "success" || outcome.kind === "failure") {
      if (execution.polls <= (outcome.inProgressPolls ?? 2)) execution.status = "InProgress";
      else execution.status = outcome.kind === "success" ? "Success" : "Failed";
    } else {
      execution.status = "InProgress";
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.startsWith("AmazonSSM.") ? target.slice("AmazonSSM.".length) : target;
    let body: Record<string, unknown> = {};
    const record: FakeSsmRequest = { operation, body, answered: 200 };
    requests.push(record);
    try {
      if (req.method !== "POST" || req.url !== "/")
        throw new SsmFault("UnknownOperationException", "only POST / is served", 404);
      if (!String(req.headers["content-type"] ?? "").startsWith("application/x-amz-json-1.1"))
        throw new SsmFault("SerializationException", "expected application/x-amz-json-1.1");
      if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 "))
        throw new SsmFault("MissingAuthenticationTokenException", "Request is missing Authentication Token");
      try {
        body = raw.length > 0 ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        throw new SsmFault("SerializationException", "body is not JSON");
      }
      record.body = body;
      const handler = operations[operation];
      if (!handler) throw new SsmFault("UnknownOperationException", `operation ${operation} is not faked`);
      const n = (calls.get(operation) ?? 0) + 1;
      calls.set(operation, n);
      const op = operation as FakeSsmOperation;
      if (n <= (script.throttleFirst?.[op] ?? 0)) throw new SsmFault("ThrottlingException", "Rate exceeded");
      const scripted = script.failCall?.[op]?.[n];
      if (scripted) throw new SsmFault(scripted.code, scripted.message ?? scripted.code, scripted.status);
      send(res, 200, handler(body));
    } catch (error) {
      const fault = error instanceof SsmFault ? error : new SsmFault("InternalServerError", String(error), 500);
      record.answered = fault.status;
      record.errorCode = fault.code;
      send(res, fault.status, { __type: `com.amazonaws.ssm#${fault.code}`, message: fault.message });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    executions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function stringField(body: Record<string, unknown>, name: string, required: true): string;
function stringField(body: Record<string, unknown>, name: string, required: false): string | undefined;
function stringField(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || value === "")
    throw new SsmFault(
      "ValidationException",
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
