import { homedir } from "node:os";
import { join } from "node:path";

/** `--store`, else `$FATHOM_STORE`, else `~/.fathom/fathom.db`. */
export function defaultStorePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.FATHOM_STORE) return env.FATHOM_STORE;
  return join(homedir(), ".fathom", "fathom.db");
}
