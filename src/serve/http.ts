import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.ts";
import { redactDeep } from "../policy/redaction.ts";
import type { Store } from "../store/types.ts";
import {
  checkBearer,
  checkSharedSecret,
  isSnsContentType,
  parseAlertmanager,
  parseCloudWatchAlarm,
  parseEventBridge,
  parseSnsBody,
  SNS_MESSAGE_TYPE_HEADER,
  verifySnsMessage,
  type CertificateSource,
  type NormalizedAlarm,
} from "../triggers/index.ts";
import { takeAlarm, type IntakeDeps, type IntakeResult } from "./intake.ts";
import type { ServeMetrics } from "./metrics.ts";

export interface ServeAuth {
  alertmanagerTokens: string[];
  eventbridgeKeys: string[];
  snsTopicArns: string[];
  apiTokens: string[];
}

export interface HttpDeps extends IntakeDeps {
  store: Store;
  metrics: ServeMetrics;
  logger: Logger;
  auth: ServeAuth;
  maxBodyBytes: number;
  allowedClusters: readonly string[] | undefined;
  fetchCertificate: CertificateSource;
  /** GETs a verified SubscribeURL (tests inject; production fetches over HTTPS). */
  confirmSubscription: (url: string) => Promise<void>;
  retryAfterSeconds: number;
}

class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** `fathom serve`'s request handler: receivers, reports, health and metrics. */
export function createServeHandler(deps: HttpDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const receiver = path.startsWith("/webhooks/") ? path.slice("/webhooks/".length) : undefined;
    try {
      if (req.method === "GET" && path === "/healthz") return send(res, 200, { status: "ok" });
      if (req.method === "GET" && path === "/metrics") {
        const states: Record<string, number> = {};
        for (const i of deps.store.listInvestigations({ limit: 100_000 })) states[i.state] = (states[i.state] ?? 0) + 1;
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(deps.metrics.render(states, deps.queue.size()));
        return;
      }
      const report = /^\/investigations\/([A-Za-z0-9._-]{1,128})$/.exec(path);
      if (req.method === "GET" && report) return getInvestigation(req, res, report[1] as string, deps);
      if (receiver === undefined || !["alertmanager", "sns", "eventbridge"].includes(receiver))
        throw new HttpError(404, `no such endpoint: ${req.method} ${path}`);
      if (req.method !== "POST") throw new HttpError(405, `${path} takes POST`, { allow: "POST" });
      const alarms = await receive(receiver, req, deps);
      const results: IntakeResult[] = alarms.map((alarm) => takeAlarm(alarm, deps));
      for (const _ of results) deps.metrics.received(receiver);
      if (results.some((r) => r.outcome === "shed"))
        throw new HttpError(429, "too many investigations queued; retry later", {
          "retry-after": String(deps.retryAfterSeconds),
        });
      return send(res, 202, { accepted: results.length, results });
    } catch (error) {
      if (error instanceof HttpError) {
        if (receiver) deps.metrics.rejected(receiver, String(error.status));
        return send(res, error.status, { error: error.message }, error.headers);
      }
      deps.logger.error({ err: error }, "request failed");
      return send(res, 500, { error: "internal error" });
    }
  };
}

async function receive(receiver: string, req: IncomingMessage, deps: HttpDeps): Promise<NormalizedAlarm[]> {
  const type = String(req.headers["content-type"] ?? "");
  const options = deps.allowedClusters ? { allowedClusters: deps.allowedClusters } : {};
  if (receiver === "alertmanager") {
    authorize(checkBearer(header(req, "authorization"), deps.auth.alertmanagerTokens));
    if (!/^application\/json\b/i.test(type))
      throw new HttpError(415, `Alertmanager sends application/json, not "${type || "nothing"}"`);
    const parsed = parseAlertmanager(await readJson(req, deps.maxBodyBytes), options);
    if (!parsed.ok) throw new HttpError(400, parsed.reason);
    return parsed.alarms;
  }
  if (receiver === "eventbridge") {
    const key = header(req, "x-api-key");
    authorize(
      key !== undefined
        ? checkSharedSecret(key, deps.auth.eventbridgeKeys)
        : checkBearer(header(req, "authorization"), deps.auth.eventbridgeKeys),
    );
    if (!/^application\/json\b/i.test(type))
      throw new HttpError(415, `EventBridge API destinations send application/json, not "${type || "nothing"}"`);
    const parsed = parseEventBridge(await readJson(req, deps.maxBodyBytes), options);
    if (!parsed.ok) throw new HttpError(400, parsed.reason);
    return [parsed.alarm];
  }
  // SNS: the signature is the authentication; the body is JSON sent as text/plain.
  if (!isSnsContentType(type))
    throw new HttpError(415, `SNS sends text/plain (or application/json), not "${type || "nothing"}"`);
  const body = await readBody(req, deps.maxBodyBytes);
  const messageType = header(req, SNS_MESSAGE_TYPE_HEADER);
  const parsed = parseSnsBody(
    body,
    messageType ? { maxBytes: deps.maxBodyBytes, messageType } : { maxBytes: deps.maxBodyBytes },
  );
  if (!parsed.ok) throw new HttpError(400, parsed.reason);
  const verified = await verifySnsMessage(parsed.message, {
    fetchCertificate: deps.fetchCertificate,
    allowedTopicArns: deps.auth.snsTopicArns,
  });
  if (!verified.ok)
    throw new HttpError(
      verified.code === "malformed" ? 400 : 403,
      `SNS message refused (${verified.code}): ${verified.reason}`,
    );
  const message = verified.message;
  if (message.Type === "SubscriptionConfirmation") {
    if (verified.subscribeUrl) await deps.confirmSubscription(verified.subscribeUrl);
    deps.logger.info({ topic: message.TopicArn }, "SNS subscription confirmed");
    return [];
  }
  if (message.Type === "UnsubscribeConfirmation") {
    deps.logger.warn({ topic: message.TopicArn }, "SNS unsubscribe confirmation received: not re-subscribing");
    return [];
  }
  const alarm = parseCloudWatchAlarm(message.Message, { topicArn: message.TopicArn, ...options });
  if (!alarm.ok) throw new HttpError(400, alarm.reason);
  return [alarm.alarm];
}

function getInvestigation(req: IncomingMessage, res: ServerResponse, id: string, deps: HttpDeps): void {
  authorize(checkBearer(header(req, "authorization"), deps.auth.apiTokens));
  const record = deps.store.getInvestigation(id);
  if (!record) throw new HttpError(404, `no investigation ${id}`);
  const proposals = deps.store.listProposals({ investigationId: id });
  send(
    res,
    200,
    redactDeep({
      id: record.id,
      state: record.state,
      status: record.status,
      incidentKey: record.incidentKey,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      report: record.report,
      proposals,
    }),
  );
}

function authorize(result: { ok: true } | { ok: false; reason: string }): void {
  if (!result.ok) throw new HttpError(401, result.reason, { "www-authenticate": 'Bearer realm="fathom"' });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > max) {
    req.resume();
    return Promise.reject(new HttpError(413, `body of ${declared} bytes is larger than the ${max} allowed`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new HttpError(413, `body larger than the ${max} bytes allowed`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const body = await readBody(req, max);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
