import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolReportSchema } from "../../src/domain/tool-report.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { writeBundleDir, writeBundleTarGz } from "../../src/fixtures/write-bundle.ts";
import { TOOLS } from "../../tools/index.ts";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "bin", "fathom.mjs");
const projectBin = join(root, "node_modules", ".bin");

let dir: string;
let bundleDir: string;
let bundleTgz: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fathom-stdio-"));
  bundleDir = join(dir, "bundle");
  bundleTgz = join(dir, "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz");
  const files = healthyBaseline();
  await writeBundleDir(files, bundleDir);
  await writeBundleTarGz(files, bundleTgz);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("fathom mcp over stdio", () => {
  it("serves the tools to the SDK's stdio client from a bundle .tar.gz", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, "mcp", "--bundle", bundleTgz],
      stderr: "pipe",
    });
    const client = new Client({ name: "stdio-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.length).toBe(TOOLS.length);
      const result = await client.callTool({ name: "read_kubelet_journal", arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(ToolReportSchema.parse(result.structuredContent).status).toBe("ok");
    } finally {
      await client.close();
    }
  });

  it("runs under the project's Node 24 when an older node is first on PATH", () => {
    const systemNode = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => {
      try {
        return !execFileSync(p, ["--version"], { encoding: "utf8" }).startsWith("v24");
      } catch {
        return false;
      }
    });
    expect(systemNode, "an older system node to launch fathom with").toBeDefined();
    const out = execFileSync(systemNode as string, [bin, "version"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
    });
    expect(out).toMatch(/node v24\./);
  });
});

describe("a third-party MCP client: the MCP Inspector CLI", () => {
  const inspector = (args: string[]) =>
    execFileSync(
      join(projectBin, "mcp-inspector"),
      ["--cli", process.execPath, bin, "mcp", "--bundle", bundleDir, ...args],
      {
        encoding: "utf8",
        env: { ...process.env, PATH: `${projectBin}:${process.env.PATH ?? ""}` },
        timeout: 60_000,
      },
    );

  it("lists fathom's tools", () => {
    const listed = JSON.parse(inspector(["--method", "tools/list"])) as { tools: Array<{ name: string }> };
    expect(listed.tools.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
  });

  it("calls a tool and gets its structured report", () => {
    const called = JSON.parse(inspector(["--method", "tools/call", "--tool-name", "read_kubelet_journal"])) as {
      structuredContent: unknown;
      isError?: boolean;
    };
    expect(called.isError).toBeFalsy();
    expect(ToolReportSchema.parse(called.structuredContent).tool).toBe("read_kubelet_journal");
  });
});
