import { parseArgs } from "node:util";
import { createLogger } from "../../logger.ts";
import { defaultStorePath, openStore, StoreError, type InvestigationSummary, type Store } from "../../store/index.ts";
import { CliError } from "../cli-error.ts";

const USAGE = `Usage: fathom list [--store <path>] [--state <state>[,<state>…]] [--limit <n>] [--format table|json]

  Stored investigations, newest first, with their root cause and pending proposals.
  --state keeps the given machine states (received, investigating, reported, awaitingApproval, done, …).
  --limit defaults to 50; 0 lists all. --store defaults to $FATHOM_STORE, else ~/.fathom/fathom.db.`;

export async function runListCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        store: { type: "string" },
        state: { type: "string", multiple: true },
        limit: { type: "string", default: "50" },
        format: { type: "string", default: "table" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.format !== "table" && values.format !== "json")
    throw new CliError(`--format must be table or json, not "${values.format}"`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new CliError(`--limit takes a whole number, not "${values.limit}"`);
  const states = (values.state ?? [])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean);

  const store = openIfPresent(values.store);
  let rows: InvestigationSummary[] = [];
  if (store) {
    try {
      rows = store.listInvestigations({ states, ...(limit > 0 ? { limit } : {}) });
    } finally {
      store.close();
    }
  }
  process.stdout.write(values.format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
  return 0;
}

function table(rows: InvestigationSummary[]): string {
  if (rows.length === 0) return "no investigations\n";
  const cells = rows.map((r) => [
    r.id,
    r.state,
    r.createdAt.replace(/\.\d{3}Z$/, "Z"),
    r.rootCause ? `${r.rootCause.id} (${r.rootCause.confidence})` : r.verdict === undefined ? "—" : r.verdict,
    String(r.pendingProposals),
    r.title ?? "",
  ]);
  const header = ["ID", "STATE", "CREATED", "ROOT CAUSE", "PENDING", "TITLE"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[header, ...cells].map(line).join("\n")}\n`;
}

/** The store, or undefined when none exists yet: an empty list, not an error. */
function openIfPresent(flag: string | undefined): Store | undefined {
  try {
    return openStore(defaultStorePath(flag), { mustExist: true, logger: createLogger() });
  } catch (error) {
    if (error instanceof StoreError && error.code === "missing") return undefined;
    throw error instanceof StoreError ? new CliError(error.message, 2) : error;
  }
}
