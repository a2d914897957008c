import { setTimeout as delay } from "node:timers/promises";
import {
  GetAutomationExecutionCommand,
  StartAutomationExecutionCommand,
  StopAutomationExecutionCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { planHash, type Approval, type Plan } from "../domain/remediation.ts";
import type { Logger } from "../logger.ts";
import { clientTokenFor } from "./client-token.ts";

/**
 * Client settings the composition root should use for the SSM client this executor gets: the
 * SDK's own retries absorb short throttling bursts, and the executor retries beyond them.
 */
export const SSM_CLIENT_DEFAULTS = { maxAttempts: 4 } as const;

/** Statuses after which an automation never changes again. */
export const TERMINAL_STATUSES = [
  "Success",
  "Failed",
  "TimedOut",
  "Cancelled",
  "CompletedWithSuccess",
  "CompletedWithFailure",
  "Rejected",
  "Exited",
  "ChangeCalendarOverrideRejected",
] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);

export type RemediationErrorCode =
  | "not-approved"
  | "access-denied"
  | "document-not-found"
  | "invalid-parameters"
  | "idempotency-mismatch"
  | "execution-not-found"
  | "already-finished"
  | "limit-exceeded"
  | "throttled"
  | "invalid-request"
  | "service-error";

/** An SSM call failed in a way retrying cannot fix; `message` says what to change. */
export class RemediationExecutionError extends Error {
  override readonly name = "RemediationExecutionError";
  readonly code: RemediationErrorCode;
  /** The AWS error name (`AccessDeniedException`, …), when SSM answered. */
  readonly awsError: string | undefined;

  constructor(code: RemediationErrorCode, message: string, options: { cause?: unknown; awsError?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.awsError = options.awsError;
  }
}

export type AutomationOutcome = {
  executionId: string;
  status: TerminalStatus;
  outputs?: Record<string, string[]>;
  failureMessage?: string;
  /** Set when fathom cancelled the execution itself. */
  stoppedBy?: "signal" | "deadline";
};

export type SsmExecutorDeps = {
  client: Pick<SSMClient, "send">;
  logger: Logger;
  /** Waits `ms`; rejects (or returns early) when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** How long `waitForTerminal` waits before it cancels the execution. */
  timeoutMs?: number;
  /** Retries of a throttled or server-failed call after the SDK's own retries gave up. */
  maxRetries?: number;
  /** Filled into `AutomationAssumeRole` when the plan does not set it. */
  automationAssumeRole?: string;
};

export type SsmExecutor = {
  /** Starts (or, for an already started approval, finds again) the plan's automation. */
  start(plan: Plan, approval: Approval, signal: AbortSignal): Promise<{ executionId: string; clientToken: string }>;
  /** Polls until a terminal status; on abort or deadline it cancels the execution and says so. */
  waitForTerminal(
    executionId: string,
    signal: AbortSignal,
    onStatus?: (status: string) => void,
  ): Promise<AutomationOutcome>;
  /** StopAutomationExecution with Type Cancel. */
  stop(executionId: string): Promise<void>;
};

type Operation = "StartAutomationExecution" | "GetAutomationExecution" | "StopAutomationExecution";

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
]);
const STOP_TIMEOUT_MS = 30_000;

/**
 * The document parameters SSM wants (every value a string list): the plan's parameters, its
 * targets as `InstanceIds`, and the assume role when the plan leaves it to the environment.
 */
export function toAutomationParameters(plan: Plan, automationAssumeRole?: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(plan.parameters)) {
    out[key] = Array.isArray(value) ? [...value] : [String(value)];
  }
  if (plan.targets.length > 0) {
    const given = out.InstanceIds;
    if (given && [...given].sort().join(",") !== [...plan.targets].sort().join(",")) {
      throw new RemediationExecutionError(
        "invalid-parameters",
        `the plan's InstanceIds parameter (${given.join(", ")}) differs from its targets (${plan.targets.join(", ")}); fix the catalog entry that built it`,
      );
    }
    out.InstanceIds = [...plan.targets];
  }
  if (automationAssumeRole && !out.AutomationAssumeRole) out.AutomationAssumeRole = [automationAssumeRole];
  return out;
}

export function createSsmExecutor(deps: SsmExecutorDeps): SsmExecutor {
  const { client, logger } = deps;
  const sleep = deps.sleep ?? ((ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }));
  const now = deps.now ?? Date.now;
  const pollIntervalMs = deps.pollIntervalMs ?? 2_000;
  const maxPollIntervalMs = deps.maxPollIntervalMs ?? 30_000;
  const timeoutMs = deps.timeoutMs ?? 60 * 60_000;
  const maxRetries = deps.maxRetries ?? 5;

  /** One SSM call, retried with backoff while SSM throttles or fails on its side. */
  async function call<T>(op: Operation, signal: AbortSignal, context: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (signal.aborted) throw error;
        if (!isRetryable(error) || attempt >= maxRetries) throw explain(error, op, context);
        const wait = Math.min(pollIntervalMs * 2 ** attempt, maxPollIntervalMs);
        logger.warn(
          { op, attempt: attempt + 1, waitMs: wait, awsError: errorName(error) },
          "SSM call failed; retrying",
        );
        await sleep(wait, signal);
        if (signal.aborted) throw signal.reason;
      }
    }
  }

  async function start(
    plan: Plan,
    approval: Approval,
    signal: AbortSignal,
  ): Promise<{ executionId: string; clientToken: string }> {
    const hash = planHash(plan);
    if (approval.decision !== "approved") {
      throw new RemediationExecutionError(
        "not-approved",
        `approval ${approval.id} is a rejection; nothing runs without a yes`,
      );
    }
    if (approval.planHash !== hash) {
      throw new RemediationExecutionError(
        "not-approved",
        `approval ${approval.id} is for a different plan (${approval.planHash}, this one is ${hash}); the plan needs a new approval`,
      );
    }
    const parameters = toAutomationParameters(plan, deps.automationAssumeRole);
    const clientToken = clientTokenFor(hash, approval.id);
    signal.throwIfAborted();
    const out = await call("StartAutomationExecution", signal, `document "${plan.document}"`, () =>
      client.send(
        new StartAutomationExecutionCommand({
          DocumentName: plan.document,
          Parameters: parameters,
          ClientToken: clientToken,
        }),
        { abortSignal: signal },
      ),
    );
    if (!out.AutomationExecutionId) {
      throw new RemediationExecutionError(
        "service-error",
        `SSM accepted document "${plan.document}" but returned no AutomationExecutionId`,
      );
    }
    logger.info(
      { document: plan.document, executionId: out.AutomationExecutionId, clientToken, approvalId: approval.id },
      "SSM automation started",
    );
    return { executionId: out.AutomationExecutionId, clientToken };
  }

  async function stop(executionId: string): Promise<void> {
    // The caller's signal is usually the one that just aborted, so stopping gets its own bound.
    const signal = AbortSignal.timeout(STOP_TIMEOUT_MS);
    await call("StopAutomationExecution", signal, `execution ${executionId}`, () =>
      client.send(new StopAutomationExecutionCommand({ AutomationExecutionId: executionId, Type: "Cancel" }), {
        abortSignal: signal,
      }),
    );
    logger.warn({ executionId }, "SSM automation cancelled");
  }

  async function cancel(executionId: string, stoppedBy: "signal" | "deadline"): Promise<AutomationOutcome> {
    try {
      await stop(executionId);
    } catch (error) {
      if (!(error instanceof RemediationExecutionError)) throw error;
      if (error.code !== "already-finished") {
        throw new RemediationExecutionError(
          error.code,
          `could not cancel execution ${executionId}, which may still be running: ${error.message}`,
          { cause: error, ...(error.awsError ? { awsError: error.awsError } : {}) },
        );
      }
      // It finished before the stop arrived: report what it actually did.
      const last = await getExecution(executionId, AbortSignal.timeout(STOP_TIMEOUT_MS));
      if (last.status && TERMINAL.has(last.status))
        return { ...last, executionId, status: last.status as TerminalStatus };
    }
    const failureMessage =
      stoppedBy === "deadline"
        ? `fathom stopped waiting after ${timeoutMs} ms and cancelled the execution`
        : "fathom was told to stop (the investigation was aborted) and cancelled the execution";
    return { executionId, status: "Cancelled", failureMessage, stoppedBy };
  }

  async function getExecution(executionId: string, signal: AbortSignal) {
    const out = await call("GetAutomationExecution", signal, `execution ${executionId}`, () =>
      client.send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }), { abortSignal: signal }),
    );
    const execution = out.AutomationExecution;
    return {
      status: execution?.AutomationExecutionStatus as string | undefined,
      ...(execution?.Outputs ? { outputs: execution.Outputs } : {}),
      ...(execution?.FailureMessage ? { failureMessage: execution.FailureMessage } : {}),
    };
  }

  async function waitForTerminal(
    executionId: string,
    signal: AbortSignal,
    onStatus?: (status: string) => void,
  ): Promise<AutomationOutcome> {
    const deadline = now() + timeoutMs;
    let wait = pollIntervalMs;
    let lastStatus: string | undefined;
    for (;;) {
      if (signal.aborted) return cancel(executionId, "signal");
      if (now() >= deadline) return cancel(executionId, "deadline");
      let execution;
      try {
        execution = await getExecution(executionId, signal);
      } catch (error) {
        if (signal.aborted) return cancel(executionId, "signal");
        throw error;
      }
      if (execution.status !== undefined && execution.status !== lastStatus) {
        lastStatus = execution.status;
        logger.info({ executionId, status: execution.status }, "SSM automation status");
        onStatus?.(execution.status);
      }
      if (execution.status && TERMINAL.has(execution.status)) {
        return { ...execution, executionId, status: execution.status as TerminalStatus };
      }
      try {
        await sleep(wait, signal);
      } catch (error) {
        if (!signal.aborted) throw error;
      }
      wait = Math.min(wait * 2, maxPollIntervalMs);
    }
  }

  return { start, waitForTerminal, stop };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = meta.$metadata?.httpStatusCode ?? 0;
  return THROTTLING.has(error.name) || status === 429 || status >= 500 || meta.$fault === "server";
}

const PERMISSION: Record<Operation, string> = {
  StartAutomationExecution: "ssm:StartAutomationExecution",
  GetAutomationExecution: "ssm:GetAutomationExecution",
  StopAutomationExecution: "ssm:StopAutomationExecution",
};

/** Turns an SDK error into one that names the fix. */
function explain(error: unknown, op: Operation, context: string): RemediationExecutionError {
  const awsError = errorName(error) ?? "Error";
  const detail = error instanceof Error && error.message ? ` (SSM said: ${error.message})` : "";
  const make = (code: RemediationErrorCode, message: string) =>
    new RemediationExecutionError(code, `${message}${detail}`, { cause: error, awsError });
  switch (awsError) {
    case "AccessDeniedException":
      return make(
        "access-denied",
        `${op} was denied for ${context}: the role fathom runs as may not call ${PERMISSION[op]}` +
          (op === "StartAutomationExecution"
            ? " on this document, or may not iam:PassRole the AutomationAssumeRole; grant them or run fathom as a role that has them"
            : "; grant it"),
      );
    case "AutomationDefinitionNotFoundException":
    case "AutomationDefinitionVersionNotFoundException":
      return make(
        "document-not-found",
        `SSM has no Automation ${context} in this account and region: create it from workflows/ or fix the remediation catalog entry that names it`,
      );
    case "InvalidAutomationExecutionParametersException":
      return make(
        "invalid-parameters",
        `SSM rejected the parameters for ${context}: the document and the catalog's parameter schema disagree; fix one of them`,
      );
    case "IdempotentParameterMismatch":
      return make(
        "idempotency-mismatch",
        `this approval already started ${context} with a different request (the plan or fathom's settings changed since); approve the current plan again`,
      );
    case "AutomationExecutionNotFoundException":
      return make(
        "execution-not-found",
        `SSM does not know ${context}: it may belong to another account or region, or be too old to query`,
      );
    case "InvalidAutomationStatusUpdateException":
      return make("already-finished", `${context} can no longer be stopped: it already finished`);
    case "AutomationExecutionLimitExceededException":
      return make(
        "limit-exceeded",
        `too many automations are running in this account to start ${context}; wait for some to finish, then retry`,
      );
    case "ValidationException":
      return make("invalid-request", `SSM refused the ${op} request for ${context} as malformed`);
    default:
      if (isRetryable(error))
        return make(
          THROTTLING.has(awsError) ? "throttled" : "service-error",
          `${op} for ${context} kept failing after retries; try again later`,
        );
      return make("service-error", `${op} for ${context} failed with ${awsError}`);
  }
}
