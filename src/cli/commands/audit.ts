import { parseArgs } from "node:util";
import { createLogger } from "../../logger.ts";
import { defaultStorePath, openStore, StoreError, type AuditVerification, type Store } from "../../store/index.ts";
import { CliError } from "../cli-error.ts";

const USAGE = `Usage: fathom audit verify [--store <path>] [--format text|json]

  Walks the audit trail's hash chain and reports the first edited, deleted or reordered record.
  --store defaults to $FATHOM_STORE, else ~/.fathom/fathom.db.

Exit codes: 0 the trail is intact; 1 it is broken (the first bad record and why); 2 invalid input or no store.`;

export async function runAuditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "verify") throw new CliError(`unknown audit subcommand "${sub}"\n${USAGE}`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      options: { store: { type: "string" }, format: { type: "string", default: "text" }, help: { type: "boolean" } },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.format !== "text" && values.format !== "json")
    throw new CliError(`--format must be text or json, not "${values.format}"`);
  const store = openForReading(values.store);
  try {
    const result = store.verifyAudit();
    process.stdout.write(
      values.format === "json" ? `${JSON.stringify({ store: store.path, ...result }, null, 2)}\n` : describe(result),
    );
    return result.ok ? 0 : 1;
  } finally {
    store.close();
  }
}

function describe(result: AuditVerification): string {
  const counts = Object.entries(result.byType)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${n} ${type}`)
    .join(", ");
  if (result.firstBad) {
    const { seq, problem, reason } = result.firstBad;
    return `audit trail broken at record ${seq} (${problem}): ${reason}\n  ${result.records} records stored, ${result.verified} verified before it\n`;
  }
  const head = result.head ? ` (head ${result.head.seq} ${result.head.hash})` : "";
  if (!result.triggersIntact)
    return `audit trail records chain correctly, but its append-only triggers were removed: the store was changed outside fathom\n  ${result.records} records${head}\n`;
  return `audit trail intact: ${result.records} records${counts ? ` (${counts})` : ""}${head}\n`;
}

function openForReading(flag: string | undefined): Store {
  try {
    return openStore(defaultStorePath(flag), { mustExist: true, logger: createLogger() });
  } catch (error) {
    throw error instanceof StoreError ? new CliError(error.message, 2) : error;
  }
}
