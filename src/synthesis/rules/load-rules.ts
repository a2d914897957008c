import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { isRootCauseId, type RootCauseId } from "../../domain/root-causes.ts";
import { validateYaml, type YamlIssue } from "../../yaml/validate-yaml.ts";
import type { CauseRule, RuleSet, Signal } from "./rule-types.ts";
import { RulesFileSchema, type Condition, type RulesFile, type SignalSpec } from "./rules-schema.ts";

/** The rules fathom ships: src/catalog/diagnostic-rules.yaml. */
export const BUILT_IN_RULES_FILE = fileURLToPath(new URL("../../catalog/diagnostic-rules.yaml", import.meta.url));

const MAX_RULES_BYTES = 1024 * 1024;

/**
 * What rules may name: every finding kind the tools declare, with the attributes it carries
 * (`undefined`: the kind's attributes are not declared, so names on it are not checked).
 */
export interface RulesVocabulary {
  kinds: ReadonlyMap<string, ReadonlySet<string> | undefined>;
}

/** A rules file that cannot be used: every problem, each with file:line. Nothing of it loads. */
export class RulesError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, issues: readonly YamlIssue[]) {
    const problems = issues.map((i) => `${file}${i.line ? `:${i.line}` : ""}: ${i.message}`);
    super(
      problems.length === 1
        ? problems[0]
        : `${file}: ${problems.length} problems, so no rule from it is used\n  ${problems.join("\n  ")}`,
    );
    this.name = "RulesError";
    this.problems = problems;
  }
}

/** Reads and checks a rules file; fails closed. */
export async function loadRules(file: string, vocabulary: RulesVocabulary): Promise<RuleSet> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new RulesError(file, [{ line: undefined, message: "no such rules file" }]);
  if (info.size > MAX_RULES_BYTES)
    throw new RulesError(file, [{ line: undefined, message: `larger than ${MAX_RULES_BYTES} bytes` }]);
  return parseRules(await readFile(file, "utf8"), file, vocabulary);
}

/**
 * Parses rules YAML and checks everything it names: catalog ids, finding kinds, groups and
 * attributes. Pure. Any problem refuses the whole file: a half-loaded rule set would answer with
 * the knowledge it happened to keep.
 */
export function parseRules(text: string, file: string, vocabulary: RulesVocabulary): RuleSet {
  const validated = validateYaml(text, RulesFileSchema);
  if (!validated.ok) throw new RulesError(file, validated.issues);
  const { data, lineOf } = validated;
  const issues: YamlIssue[] = [];
  const refuse = (path: Array<string | number>, message: string) => issues.push({ line: lineOf(path), message });

  const knownKind = (kind: string, path: Array<string | number>) => {
    if (!vocabulary.kinds.has(kind)) refuse(path, `unknown finding kind "${kind}": no tool declares it`);
  };
  for (const [name, kinds] of Object.entries(data.groups))
    kinds.forEach((kind, i) => knownKind(kind, ["groups", name, i]));
  data.applicationKinds.forEach((kind, i) => knownKind(kind, ["applicationKinds", i]));

  const seen = new Set<string>();
  const rules: CauseRule[] = [];
  data.rules.forEach((rule, r) => {
    const at = (...rest: Array<string | number>) => ["rules", r, ...rest];
    if (!isRootCauseId(rule.id) || rule.id === "none") {
      refuse(at("id"), `"${rule.id}" is not a root-cause id of the catalog (none is what no rule answers)`);
    } else if (seen.has(rule.id)) refuse(at("id"), `a second rule for ${rule.id}: one rule per catalog id`);
    seen.add(rule.id);
    rule.explains.forEach((id, i) => {
      if (!isRootCauseId(id) || id === "none")
        refuse(at("explains", i), `"${id}" is not a root-cause id of the catalog`);
    });
    const sections = { requires: rule.requires, supports: rule.supports, contrary: rule.contrary };
    const resolved = Object.fromEntries(
      Object.entries(sections).map(([section, signals]) => [
        section,
        signals.map((signal, i) => resolveSignal(signal, data, vocabulary, at(section, i), refuse)),
      ]),
    ) as Record<keyof typeof sections, Signal[]>;
    rules.push({
      id: rule.id as RootCauseId,
      summary: rule.summary,
      ...resolved,
      explains: rule.explains as RootCauseId[],
    });
  });
  if (issues.length > 0) throw new RulesError(file, issues);
  return { scoring: data.scoring, applicationKinds: new Set(data.applicationKinds), rules };
}

function resolveSignal(
  signal: SignalSpec,
  data: RulesFile,
  vocabulary: RulesVocabulary,
  path: Array<string | number>,
  refuse: (path: Array<string | number>, message: string) => void,
): Signal {
  let kinds: string[];
  if (signal.group !== undefined) {
    kinds = data.groups[signal.group] ?? [];
    if (!data.groups[signal.group])
      refuse([...path, "group"], `unknown group "${signal.group}": define it under groups`);
  } else {
    kinds = signal.kinds ?? (signal.kind ? [signal.kind] : []);
    kinds.forEach((kind, i) => {
      if (!vocabulary.kinds.has(kind))
        refuse(
          signal.kinds ? [...path, "kinds", i] : [...path, "kind"],
          `unknown finding kind "${kind}": no tool declares it`,
        );
    });
  }
  if (signal.where) {
    for (const name of attributesNamed(signal.where)) {
      for (const kind of kinds) {
        const declared = vocabulary.kinds.get(kind);
        if (declared && !declared.has(name))
          refuse(
            [...path, "where"],
            `${kind} has no attribute "${name}" (it declares: ${[...declared].join(", ") || "none"})`,
          );
      }
    }
  }
  return {
    kinds,
    weight: signal.weight,
    why: signal.why,
    ...(signal.minSeverity ? { minSeverity: signal.minSeverity } : {}),
    ...(signal.where ? { where: signal.where } : {}),
  };
}

/** Every attribute a condition reads (list indexes stripped). */
export function attributesNamed(condition: Condition): string[] {
  const strip = (name: string) => name.replace(/\[\d+\]$/, "");
  if ("all" in condition) return condition.all.flatMap(attributesNamed);
  if ("any" in condition) return condition.any.flatMap(attributesNamed);
  if ("ratio" in condition)
    return [strip(condition.ratio.of), strip(condition.ratio.to), ...operandAttributes(condition)];
  if ("attribute" in condition) return [strip(condition.attribute), ...operandAttributes(condition)];
  return [];
}

function operandAttributes(condition: object): string[] {
  return Object.values(condition)
    .filter((v): v is { attribute: string } => typeof v === "object" && v !== null && "attribute" in v)
    .map((v) => v.attribute.replace(/\[\d+\]$/, ""));
}
