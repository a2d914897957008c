import { pino, type Logger as PinoLogger } from "pino";
import { redactText } from "./policy/redaction.ts";

export type Logger = PinoLogger;

/**
 * Logs go to stderr (stdout carries MCP and `--format json`), and every message and string field
 * passes redaction first.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.FATHOM_LOG_LEVEL ?? "warn",
      base: undefined,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? redactText(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          return JSON.parse(redactText(JSON.stringify(object))) as Record<string, unknown>;
        },
      },
    },
    (options.destination ?? process.stderr) as never,
  );
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
