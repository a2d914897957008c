import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createLogger } from "../../logger.ts";
import { createLiveView } from "../../report/live-view.ts";
import { renderMarkdown } from "../../report/render-markdown.ts";
import { renderText } from "../../report/render-text.ts";
import { resolve } from "node:path";
import { loadScenario, ScenarioError, type LoadedScenario } from "../../scenarios/load-scenario.ts";
import { createRemediationActors } from "../../remediation/actors.ts";
import { decideProposal, openRemediationSession, verifierFor } from "../remediation-session.ts";
import { runScenario } from "../../scenarios/run-scenario.ts";
import { createRulesReasoner } from "../../synthesis/rules-reasoner.ts";
import { CliError } from "../cli-error.ts";
import { TOOLS } from "../../../tools/index.ts";
import { loadRuleSet } from "../rules.ts";

const USAGE = `Usage: fathom replay <scenario-dir> [--format text|json|markdown] [--out <file>] [--rules <file>…]
                     [--interactive [--store <path>] [--policy <file>] [--as <display name>] [--timeout <s>]]
  Replays a scenario folder (scenario.yaml + recorded bundles or generator recipes) and reports
  whether the investigation named the expected root cause. With --interactive the investigation is
  stored, a remediation is proposed, and you decide it in the terminal; an approved plan runs through
  SSM Automation (AWS_REGION, AWS_ENDPOINT_URL_SSM) and is verified against the scenario's after-bundle.
Exit codes: 0 done; 4 the proposal stays pending (no terminal, no answer); 5 rejected; 1 failed.`;

export async function runReplayCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string", default: "text" },
        rules: { type: "string", multiple: true },
        out: { type: "string" },
        interactive: { type: "boolean" },
        timeout: { type: "string" },
        store: { type: "string" },
        policy: { type: "string" },
        as: { type: "string" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [dir] = positionals;
  if (!dir) throw new CliError(`name a scenario folder\n${USAGE}`);
  const format = values.format;
  if (format !== "text" && format !== "json" && format !== "markdown")
    throw new CliError(`--format must be text, json or markdown, not "${format}"`);
  const loaded = await loadScenario(dir).catch((error: Error) => {
    throw new CliError(
      error instanceof ScenarioError ? error.message : `cannot load scenario ${dir}: ${error.message}`,
    );
  });
  if (values.interactive)
    return interactiveReplay(loaded, {
      rules: values.rules ?? [],
      ...(values.store ? { store: values.store } : {}),
      ...(values.policy ? { policy: values.policy } : {}),
      ...(values.as ? { as: values.as } : {}),
      ...(values.timeout ? { timeoutMs: Number(values.timeout) * 1000 } : {}),
    });
  const view = createLiveView(process.stderr, { tty: Boolean(process.stderr.isTTY) });
  const run = await runScenario(loaded, {
    tools: TOOLS,
    reasoner: createRulesReasoner(await loadRuleSet(values.rules ?? [])),
    logger: createLogger(),
    onProgress: view.onProgress,
  }).catch((error: Error) => {
    throw new CliError(error instanceof ScenarioError ? error.message : error.message);
  });
  view.stop();
  if (!run.report) throw new CliError(`replay of ${loaded.slug} failed: ${run.error ?? "no report"}`, 1);
  const body =
    format === "json"
      ? `${JSON.stringify(run.report, null, 2)}\n`
      : format === "markdown"
        ? renderMarkdown(run.report)
        : renderText(run.report);
  if (values.out) await writeFile(values.out, body);
  else process.stdout.write(body);
  process.stderr.write(
    `fathom: scenario ${loaded.slug}: expected ${run.expected}, got ${run.got} — ${run.top1 ? "match" : "MISMATCH"}\n`,
  );
  return 0;
}

/** Replay, store, propose, ask, run, verify: the whole loop a person sees at 3 a.m. */
async function interactiveReplay(
  loaded: LoadedScenario,
  options: { rules: string[]; store?: string; policy?: string; as?: string; timeoutMs?: number },
): Promise<number> {
  const logger = createLogger();
  const session = await openRemediationSession(options, logger);
  try {
    const investigationId = `inv-${loaded.slug}-${Date.now().toString(36)}`;
    const verify = verifierFor(logger);
    const view = createLiveView(process.stderr, { tty: Boolean(process.stderr.isTTY) });
    const run = await runScenario(loaded, {
      tools: TOOLS,
      reasoner: createRulesReasoner(await loadRuleSet(options.rules)),
      logger,
      onProgress: view.onProgress,
      investigationId,
      remediation: {
        settings: {
          enabled: true,
          approvalTtlMs: session.policy?.approval.ttlMs ?? 15 * 60_000,
          executionTimeoutMs: 60 * 60_000,
          verification: { scenarioDir: resolve(loaded.dir) },
        },
        actors: createRemediationActors({
          store: session.store,
          policy: session.policy,
          executor: session.executor,
          verify,
          target: session.target,
          now: () => new Date(),
          logger,
        }),
      },
      persist: (snapshot, value) => session.store.saveSnapshot(investigationId, snapshot, value),
      stopWhenAwaitingApproval: true,
    });
    view.stop();
    if (!run.report) throw new CliError(`replay of ${loaded.slug} failed: ${run.error ?? "no report"}`, 1);
    session.store.saveReport(investigationId, run.report);
    process.stdout.write(renderText(run.report));
    const proposals = session.store.listProposals({ investigationId });
    for (const advice of proposals.filter((p) => !p.executable))
      process.stdout.write(
        `\nAdvice (${advice.rootCause}): ${advice.summary}\n${advice.manualSteps.map((s) => `  - ${s}`).join("\n")}\n`,
      );
    const pending = proposals.find((p) => p.executable && p.status === "pending");
    if (!pending || run.final !== "awaitingApproval") {
      process.stdout.write(`\nNothing to approve (investigation ${investigationId} ${run.final}).\n`);
      return 0;
    }
    const result = await decideProposal(session, pending, logger, {
      ...(options.as ? { displayName: options.as } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    process.stdout.write(`\n=> ${result.outcome}: ${result.message}\n`);
    return { done: 0, pending: 4, refused: 4, expired: 4, rejected: 5, failed: 1 }[result.outcome];
  } finally {
    session.close();
  }
}
