import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { folderCycles, folderGraph } from "../../scripts/import-graph.ts";

const eslint = new ESLint();

/** The no-restricted-imports messages ESLint gives for one import written in a file at `path`. */
async function restricted(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import ${JSON.stringify(source)};\n`, { filePath: path });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("the direction of imports", () => {
  it.each([
    ["src/serve/investigator.ts", "../../tools/index.ts", "composition root"],
    ["src/scenarios/run-scenario.ts", "../../tools/read-dmesg.ts", "composition root"],
    ["workflows/investigation.machine.ts", "../tools/index.ts", "composition root"],
    ["src/serve/investigator.ts", "../cli/local-session.ts", "Nothing imports src/cli"],
    ["src/mcp/session.ts", "../cli/version.ts", "Nothing imports src/cli"],
    ["src/report/build-report.ts", "../coordinator/investigate.ts", "below the coordinator"],
    ["src/synthesis/reasoner.ts", "../../workflows/investigation.machine.ts", "below the coordinator"],
    ["src/store/proposals.ts", "../serve/app.ts", "below the coordinator"],
    ["src/domain/investigation.ts", "../synthesis/reasoner.ts", "imports nothing outside itself"],
    ["src/domain/report.ts", "../../tools/index.ts", "imports nothing outside itself"],
  ])("refuses in %s an import of %s", async (path, source, reason) => {
    const messages = await restricted(path, source);
    expect(messages.join("\n")).toContain(reason);
  });

  it.each([
    ["src/cli/commands/eval.ts", "../../../tools/index.ts"],
    ["src/coordinator/investigate.ts", "../../workflows/investigation.machine.ts"],
    ["src/serve/investigator.ts", "../coordinator/investigate.ts"],
    ["src/domain/investigation.ts", "./report.ts"],
    ["test/serve/helpers.ts", "../../tools/index.ts"],
    ["bench/investigation-child.ts", "../tools/index.ts"],
  ])("allows in %s an import of %s", async (path, source) => {
    expect(await restricted(path, source)).toEqual([]);
  });

  it.each([
    ["src/remediation/ssm-executor.ts", 'import { spawn } from "node:child_process";', "fathom has no shell"],
    ["tools/read-dmesg.ts", 'import { execFile } from "child_process";', "fathom has no shell"],
    ["src/cli/commands/serve.ts", 'import { spawn } from "node:child_process";', "fathom has no shell"],
    ["src/domain/incident.ts", 'import { spawn } from "node:child_process";', "fathom has no shell"],
    ["scripts/run-tests.mjs", 'import { exec } from "node:child_process";', "through a shell"],
    ["bench/lib.ts", 'spawn("grep", [pattern], { shell: true });', "shell: true"],
    ["test/helpers/tmux.ts", 'spawn("tmux", ["ls"], { shell: true });', "shell: true"],
  ])("refuses in %s a way to run a command string: %s", async (path, code, reason) => {
    const [result] = await eslint.lintText(`${code}\n`, { filePath: path });
    const messages = (result?.messages ?? [])
      .filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax")
      .map((m) => m.message);
    expect(messages.join("\n")).toContain(reason);
  });

  it("leaves no folder cycle: every folder imports only folders below it", async () => {
    const edges = await folderGraph();
    expect(edges.get("src/domain")).toEqual(new Set());
    expect(folderCycles(edges)).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const edges = new Map([
      ["src/a", new Set(["src/b"])],
      ["src/b", new Set(["src/c"])],
      ["src/c", new Set(["src/a"])],
      ["src/d", new Set(["src/a"])],
    ]);
    expect(folderCycles(edges)).toEqual(["src/a -> src/b -> src/c -> src/a"]);
  });
});

describe("the README's map of the code", () => {
  it("lists every folder, each importing only folders listed below it", async () => {
    const readme = await readFile(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const block = readme.split("## Map of the code")[1]?.split("```")[1] ?? "";
    const order = block
      .split("\n")
      .map((line) => /^(src\/[a-z-]+(?:\.ts)?|tools|workflows)\/?\s/.exec(line)?.[1]?.replace(/\.ts$/, ""))
      .filter((name): name is string => name !== undefined);
    const edges = await folderGraph();
    expect([...edges.keys()].filter((folder) => !order.includes(folder))).toEqual([]);
    const upward = [...edges].flatMap(([from, targets]) =>
      [...targets].filter((to) => order.indexOf(to) < order.indexOf(from)).map((to) => `${from} -> ${to}`),
    );
    expect(upward).toEqual([]);
  });
});

describe("the README's catalog table", () => {
  it("is the table the rules data generates (node scripts/catalog-table.ts)", async () => {
    const root = join(import.meta.dirname, "..", "..");
    const { execFileSync } = await import("node:child_process");
    const table = execFileSync(process.execPath, [join(root, "scripts", "catalog-table.ts")], {
      cwd: root,
      encoding: "utf8",
    });
    const readme = await readFile(join(root, "README.md"), "utf8");
    expect(readme).toContain(table.trim());
  });
});
