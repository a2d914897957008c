import type { Reasoner } from "./reasoner.ts";
import { evaluateRules } from "./rules/engine.ts";
import type { RuleSet } from "./rules/rule-types.ts";

/** The embedded default reasoner: the loaded diagnostic rules, no model, no network. */
export function createRulesReasoner(rules: RuleSet): Reasoner {
  return {
    name: "rules",
    async reason(input) {
      return evaluateRules(rules, input);
    },
  };
}
