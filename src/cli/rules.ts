import { TOOLS } from "../../tools/index.ts";
import { BUILT_IN_RULES_FILE, loadRules, RulesError } from "../synthesis/rules/load-rules.ts";
import type { RuleSet } from "../synthesis/rules/rule-types.ts";
import { vocabularyOf } from "../toolkit/vocabulary.ts";
import { CliError } from "./cli-error.ts";

/**
 * The built-in diagnostic rules with a team's files (`--rules`) merged over them, checked against
 * the kinds fathom's tools declare; a bad file stops the command with file:line.
 */
export async function loadRuleSet(teamFiles: readonly string[] = []): Promise<RuleSet> {
  return loadRules(BUILT_IN_RULES_FILE, vocabularyOf(TOOLS), teamFiles).catch((error: unknown) => {
    throw error instanceof RulesError ? new CliError(error.message, 2) : error;
  });
}
