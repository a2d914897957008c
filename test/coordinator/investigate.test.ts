import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeNodes } from "../../src/mcp/session.ts";
import { investigate } from "../../src/coordinator/investigate.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { openBundle } from "../../src/evidence/open-bundle.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { writeBundleDir } from "../../src/fixtures/write-bundle.ts";
import { silentLogger } from "../../src/logger.ts";
import { startHttpMcpServer } from "../../src/mcp/http-server.ts";
import { createNodeRegistry } from "../../src/mcp/node-registry.ts";
import { createMcpServer } from "../../src/mcp/server.ts";
import { defineTool, type ToolDefinition } from "../../src/toolkit/tool-definition.ts";
import { TOOLS } from "../../tools/index.ts";
import { investigateSources, manualIncidentAt } from "../helpers/local-investigation.ts";
import { rulesReasoner } from "../helpers/rules.ts";

const root = join(import.meta.dirname, "..", "..");
const baseline = () => createMemorySource(healthyBaseline(), "baseline");

/** A tool that never answers until it is cancelled: stands in for a hung SSM-backed read. */
const hangingTool = defineTool({
  name: "read_hanging_source",
  title: "Hangs",
  lane: "host",
  description: "test tool that never answers",
  sources: [],
  kinds: {},
  input: {},
  analyze: (ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal?.addEventListener("abort", () => reject(new Error("aborted")));
    }),
}) as unknown as ToolDefinition;

describe("an investigation over a healthy node", () => {
  it("runs all four lanes and says nothing below the kubelet explains it", async () => {
    const { outcome, report } = await investigateSources([baseline()]);
    expect(outcome.state).toBe("reported");
    expect(report?.verdict).toBe("nothing-found");
    expect(report?.rootCauses[0]?.id).toBe("none");
    expect(report?.lanes.map((l) => l.lane)).toEqual(["network", "service", "runtime", "host"]);
    for (const lane of report?.lanes ?? []) expect(lane.status).toBe("done");
    expect(report?.coverage.toolCalls).toBeGreaterThanOrEqual(TOOLS.length);
  });

  it("gives the same finding ids and answer for the same input, whatever the lanes' timing", async () => {
    const first = await investigateSources([baseline()]);
    const second = await investigateSources([baseline()], {
      deps: { limits: { laneConcurrency: 1, overallConcurrency: 1 } },
    });
    const shape = (r: typeof first.report) => r?.findings.map((f) => `${f.id} ${f.node} ${f.tool} ${f.kind}`);
    expect(shape(second.report)).toEqual(shape(first.report));
    expect(second.report?.rootCauses).toEqual(first.report?.rootCauses);
  });
});

describe("an investigation's bounds", () => {
  it("turns a tool that times out into a gap and finishes the lane", async () => {
    const { report } = await investigateSources([baseline()], {
      tools: [...TOOLS, hangingTool],
      deps: { limits: { callTimeoutMs: 300 } },
    });
    expect(report?.lanes.find((l) => l.lane === "host")?.status).toBe("done");
    expect(report?.gaps.some((g) => g.tool === "read_hanging_source" && /timed out|timeout/i.test(g.reason))).toBe(
      true,
    );
    expect(report?.rootCauses[0]?.id).toBe("none");
  });

  it("stops a lane at its budget and says so", async () => {
    const { report } = await investigateSources([baseline()], { deps: { limits: { laneBudget: 1 } } });
    for (const lane of report?.lanes ?? []) expect(lane.toolCalls).toBeLessThanOrEqual(1);
    expect(report?.gaps.some((g) => /budget of 1 calls spent/.test(g.reason))).toBe(true);
  });

  it("cancels every call when the investigation is aborted", async () => {
    const controller = new AbortController();
    const pending = investigateSources([baseline()], {
      tools: [...TOOLS, hangingTool],
      deps: { signal: controller.signal, limits: { callTimeoutMs: 60_000 } },
    });
    setTimeout(() => controller.abort(), 200);
    const { outcome } = await pending;
    expect(outcome.state).toBe("failed");
    expect(outcome.context.failure).toMatch(/cancel/);
  });
});

describe("several nodes", () => {
  it("fans lanes out over every node and tags findings by node", async () => {
    const a = createMemorySource(
      healthyBaseline({ nodeName: "ip-10-0-1-1.ec2.internal", instanceId: "i-0aaaaaaaaaaaaaaa1" }),
      "a",
    );
    const b = createMemorySource(
      healthyBaseline({ nodeName: "ip-10-0-2-2.ec2.internal", instanceId: "i-0bbbbbbbbbbbbbbb2", seed: 7 }),
      "b",
    );
    const { report } = await investigateSources([a, b]);
    expect(new Set(report?.findings.map((f) => f.node))).toEqual(
      new Set(["ip-10-0-1-1.ec2.internal", "ip-10-0-2-2.ec2.internal"]),
    );
    expect(report?.nodes.map((n) => n.node)).toEqual(["ip-10-0-1-1.ec2.internal", "ip-10-0-2-2.ec2.internal"]);
  });

  it("refuses an incident about a node it has no bundle for, with the reason", async () => {
    const { outcome } = await investigateSources([baseline()], {
      incident: manualIncidentAt("2026-11-24T10:30:00Z", [{ name: "ip-10-9-9-9.ec2.internal" }]),
    });
    expect(outcome.state).toBe("refused");
    expect(outcome.context.scope?.refused).toMatch(/ip-10-9-9-9/);
  });
});

describe("a remote MCP server works as well as the local one", () => {
  let dir: string;
  let bundle: string;
  let expected: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fathom-remote-"));
    bundle = join(dir, "bundle");
    await writeBundleDir(healthyBaseline(), bundle);
    const local = await investigateSources([await openBundle(bundle)]);
    expected = local.report?.findings.map((f) => `${f.id} ${f.kind} ${f.severity}`) ?? [];
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const remoteRun = async (client: Client) => {
    const registry = await createNodeRegistry([await openBundle(bundle)]);
    const nodes = await describeNodes(registry);
    await registry.close();
    const outcome = await investigate(
      { investigationId: "inv-remote", incident: manualIncidentAt(new Date(nodes[0]?.collectedAt ?? 0).toISOString()) },
      { client, nodes, reasoner: rulesReasoner() },
    );
    if (!outcome.context.report) throw new Error(`no report: ${outcome.context.failure ?? outcome.state}`);
    return outcome.context.report;
  };

  it("over stdio (fathom mcp as a child process)", async () => {
    const client = new Client({ name: "remote-stdio", version: "1" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(root, "bin", "fathom.mjs"), "mcp", "--bundle", bundle],
        stderr: "pipe",
      }),
    );
    try {
      const report = await remoteRun(client);
      expect(report.findings.map((f) => `${f.id} ${f.kind} ${f.severity}`)).toEqual(expected);
      expect(report.rootCauses[0]?.id).toBe("none");
    } finally {
      await client.close();
    }
  });

  it("over Streamable HTTP with a bearer token, and refuses a request without it", async () => {
    const registry = await createNodeRegistry([await openBundle(bundle)]);
    const token = "test-token-0123456789abcdef";
    const http = await startHttpMcpServer({
      host: "127.0.0.1",
      port: 0,
      token,
      logger: silentLogger(),
      createServer: () => createMcpServer({ registry, tools: TOOLS, logger: silentLogger(), version: "test" }),
    });
    try {
      const denied = await fetch(http.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: "{}",
      });
      expect(denied.status).toBe(401);
      const client = new Client({ name: "remote-http", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(http.url), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const report = await remoteRun(client);
        expect(report.findings.map((f) => `${f.id} ${f.kind} ${f.severity}`)).toEqual(expected);
      } finally {
        await client.close();
      }
    } finally {
      await http.close();
      await registry.close();
    }
  });
});
