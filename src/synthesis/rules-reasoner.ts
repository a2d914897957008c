import type { Reasoner } from "./reasoner.ts";
import { CAUSE_RULES } from "./rules/catalog-rules.ts";
import { evaluateRules } from "./rules/engine.ts";

/** The embedded default reasoner: the catalog's rules, no model, no network. */
export function createRulesReasoner(rules = CAUSE_RULES): Reasoner {
  return {
    name: "rules",
    async reason(input) {
      return evaluateRules(rules, input);
    },
  };
}
