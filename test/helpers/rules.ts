import type { Reasoner } from "../../src/synthesis/reasoner.ts";
import { createRulesReasoner } from "../../src/synthesis/rules-reasoner.ts";
import { BUILT_IN_RULES_FILE, loadRules } from "../../src/synthesis/rules/load-rules.ts";
import { vocabularyOf } from "../../src/toolkit/vocabulary.ts";
import { TOOLS } from "../../tools/index.ts";

/** The built-in diagnostic rules, checked against every tool's kinds, as the CLI loads them. */
export const BUILT_IN_RULES = await loadRules(BUILT_IN_RULES_FILE, vocabularyOf(TOOLS));

/** The rules reasoner over the built-in rules. */
export function rulesReasoner(): Reasoner {
  return createRulesReasoner(BUILT_IN_RULES);
}
