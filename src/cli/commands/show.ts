import { parseArgs } from "node:util";
import type { RemediationProposal } from "../../domain/remediation.ts";
import { createLogger } from "../../logger.ts";
import { renderText } from "../../report/render-text.ts";
import { defaultStorePath, openStore, StoreError, type Store } from "../../store/index.ts";
import { CliError } from "../cli-error.ts";

const USAGE = `Usage: fathom show <investigation-id> [--store <path>] [--format text|json]

  The stored report of one investigation (JSON: the same document as investigate --format json).
  --store defaults to $FATHOM_STORE, else ~/.fathom/fathom.db.

Exit codes: 0 shown; 1 the investigation has no report yet; 2 invalid input, no store or no such investigation.`;

export async function runShowCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { store: { type: "string" }, format: { type: "string", default: "text" }, help: { type: "boolean" } },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.format !== "text" && values.format !== "json")
    throw new CliError(`--format must be text or json, not "${values.format}"`);
  const [id, extra] = positionals;
  if (!id || extra !== undefined) throw new CliError(`name one investigation id\n${USAGE}`);

  const store = openForReading(values.store);
  try {
    const investigation = store.getInvestigation(id);
    if (!investigation) throw new CliError(`no investigation "${id}" in ${store.path} (see fathom list)`, 2);
    if (!investigation.report)
      throw new CliError(`investigation ${id} has no report yet (state: ${investigation.state})`, 1);
    if (values.format === "json") {
      process.stdout.write(`${JSON.stringify(investigation.report, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(renderText(investigation.report));
    process.stdout.write(proposals(store.listProposals({ investigationId: id })));
    return 0;
  } finally {
    store.close();
  }
}

function proposals(list: RemediationProposal[]): string {
  if (list.length === 0) return "";
  const lines = list.map(
    (p) =>
      `  ${p.id} [${p.status}] ${p.executable ? p.document : "advice"} on ${p.targets.join(", ") || p.node} · risk ${p.risk} · ${p.planHash}`,
  );
  const pending = list.some((p) => p.status === "pending") ? ["  decide pending proposals with fathom approve"] : [];
  return `${["", "Proposals", ...lines, ...pending].join("\n")}\n`;
}

function openForReading(flag: string | undefined): Store {
  try {
    return openStore(defaultStorePath(flag), { mustExist: true, logger: createLogger() });
  } catch (error) {
    throw error instanceof StoreError ? new CliError(error.message, 2) : error;
  }
}
