import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ToolReportSchema } from "../../src/domain/tool-report.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { TOOLS } from "../../tools/index.ts";
import { connectInMemory } from "../helpers/mcp.ts";

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

describe("fathom's MCP server over the SDK's in-memory transport", () => {
  let session: Awaited<ReturnType<typeof connectInMemory>>;

  beforeEach(async () => {
    session = await connectInMemory([createMemorySource(healthyBaseline(), "baseline")]);
  });
  afterEach(async () => {
    await session.close();
  });

  it("lists every diagnostic tool as read-only, with a valid name and an output schema", async () => {
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
    for (const tool of tools) {
      expect(tool.name).toMatch(NAME);
      expect(tool.annotations?.readOnlyHint).toBe(true);
      expect(tool.outputSchema?.type).toBe("object");
      expect(tool.description?.length ?? 0).toBeGreaterThan(80);
    }
  });

  it("answers every tool on a healthy bundle with a valid report and nothing above info", async () => {
    for (const tool of TOOLS) {
      const result = await session.client.callTool({ name: tool.name, arguments: {} });
      expect(result.isError, `${tool.name}: ${JSON.stringify(result.content)}`).toBeFalsy();
      const report = ToolReportSchema.parse(result.structuredContent);
      expect(report.tool).toBe(tool.name);
      expect(report.status, `${tool.name} status`).not.toBe("error");
      const loud = report.findings
        .filter((f) => f.severity !== "info")
        .map((f) => `${f.kind} ${f.severity}: ${f.summary}`);
      expect(loud, `${tool.name} on the healthy baseline`).toEqual([]);
    }
  });

  it("refuses a node it holds no bundle for, saying which nodes it knows", async () => {
    const result = await session.client.callTool({
      name: TOOLS[0]?.name ?? "",
      arguments: { node: "ip-10-9-9-9.ec2.internal" },
    });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/no bundle for node/);
  });

  it("refuses invalid input as a tool error rather than a crash", async () => {
    const result = await session.client.callTool({
      name: TOOLS[0]?.name ?? "",
      arguments: { window: { start: "yesterday", end: 5 } },
    });
    expect(result.isError).toBe(true);
  });
});

describe("a server holding several bundles", () => {
  it("asks for a node when more than one bundle is loaded, and finds one by instance id", async () => {
    const a = createMemorySource(
      healthyBaseline({ nodeName: "ip-10-0-1-1.ec2.internal", instanceId: "i-0aaaaaaaaaaaaaaa1" }),
      "a",
    );
    const b = createMemorySource(
      healthyBaseline({ nodeName: "ip-10-0-2-2.ec2.internal", instanceId: "i-0bbbbbbbbbbbbbbb2", seed: 2 }),
      "b",
    );
    const session = await connectInMemory([a, b]);
    try {
      const ambiguous = await session.client.callTool({ name: "read_kubelet_journal", arguments: {} });
      expect(ambiguous.isError).toBe(true);
      expect(JSON.stringify(ambiguous.content)).toMatch(/several bundles/);
      const byId = await session.client.callTool({
        name: "read_kubelet_journal",
        arguments: { node: "i-0bbbbbbbbbbbbbbb2" },
      });
      expect(byId.isError).toBeFalsy();
      expect(ToolReportSchema.parse(byId.structuredContent).node).toBe("ip-10-0-2-2.ec2.internal");
    } finally {
      await session.close();
    }
  });
});
