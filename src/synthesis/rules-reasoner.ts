import { isRootCauseId } from "../domain/root-causes.ts";
import type { Reasoner } from "./reasoner.ts";
import { evaluateRules } from "./rules/engine.ts";
import type { RuleSet } from "./rules/rule-types.ts";

/** The embedded default reasoner: the loaded diagnostic rules, no model, no network. */
export function createRulesReasoner(rules: RuleSet): Reasoner {
  return {
    name: "rules",
    customIds: new Set(rules.rules.map((r) => r.id).filter((id) => !isRootCauseId(id))),
    async reason(input) {
      return evaluateRules(rules, input);
    },
  };
}
