import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { isCustomRootCauseId, isRootCauseId } from "../../domain/root-causes.ts";
import { validateYaml, type YamlIssue } from "../../yaml/validate-yaml.ts";
import type { CauseRule, RuleSet, Signal } from "./rule-types.ts";
import {
  RulesFileSchema,
  RulesOverlayFileSchema,
  type Condition,
  type RuleOverlaySchema,
  type SignalSpec,
} from "./rules-schema.ts";
import type { z } from "zod";

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

/** The built-in rules, then each team file in order, merged over them; fails closed on any problem. */
export async function loadRules(
  file: string,
  vocabulary: RulesVocabulary,
  teamFiles: readonly string[] = [],
): Promise<RuleSet> {
  let rules = parseRules(await readRulesText(file), file, vocabulary);
  for (const team of teamFiles) rules = parseTeamRules(await readRulesText(team), team, vocabulary, rules);
  return rules;
}

async function readRulesText(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new RulesError(file, [{ line: undefined, message: "no such rules file" }]);
  if (info.size > MAX_RULES_BYTES)
    throw new RulesError(file, [{ line: undefined, message: `larger than ${MAX_RULES_BYTES} bytes` }]);
  return readFile(file, "utf8");
}

type Path = Array<string | number>;
type Refuse = (path: Path, message: string) => void;

/**
 * Parses the built-in rules YAML and checks everything it names: catalog ids, finding kinds,
 * groups and attributes. Pure. Any problem refuses the whole file: a half-loaded rule set would
 * answer with the knowledge it happened to keep.
 */
export function parseRules(text: string, file: string, vocabulary: RulesVocabulary): RuleSet {
  const validated = validateYaml(text, RulesFileSchema);
  if (!validated.ok) throw new RulesError(file, validated.issues);
  const { data, lineOf } = validated;
  const issues: YamlIssue[] = [];
  const refuse: Refuse = (path, message) => issues.push({ line: lineOf(path), message });
  checkGroups(data.groups, {}, vocabulary, refuse);
  data.applicationKinds.forEach((kind, i) => checkKind(kind, ["applicationKinds", i], vocabulary, refuse));
  const seen = new Set<string>();
  const rules = data.rules.map((rule, r) => {
    if (!isRootCauseId(rule.id) || rule.id === "none")
      refuse(["rules", r, "id"], `"${rule.id}" is not a root-cause id of the catalog (none is what no rule answers)`);
    else if (seen.has(rule.id)) refuse(["rules", r, "id"], `a second rule for ${rule.id}: one rule per catalog id`);
    seen.add(rule.id);
    return resolveRule(rule, ["rules", r], data.groups, vocabulary, refuse);
  });
  if (issues.length > 0) throw new RulesError(file, issues);
  return { scoring: data.scoring, applicationKinds: new Set(data.applicationKinds), groups: data.groups, rules };
}

/**
 * Merges a team's rules file over a rule set (see RuleOverlaySchema for how a rule for an existing
 * id resolves). Its own causes are `custom.<name>` ids with a summary and required evidence; it
 * may define new groups, never redefine one. Fails closed like the built-in file.
 */
export function parseTeamRules(text: string, file: string, vocabulary: RulesVocabulary, base: RuleSet): RuleSet {
  const validated = validateYaml(text, RulesOverlayFileSchema);
  if (!validated.ok) throw new RulesError(file, validated.issues);
  const { data, lineOf } = validated;
  const issues: YamlIssue[] = [];
  const refuse: Refuse = (path, message) => issues.push({ line: lineOf(path), message });
  checkGroups(data.groups, base.groups, vocabulary, refuse);
  const groups = { ...base.groups, ...data.groups };
  const rules = [...base.rules];
  data.rules.forEach((overlay, r) => {
    const at: Path = ["rules", r];
    const index = rules.findIndex((rule) => rule.id === overlay.id);
    const custom = isCustomRootCauseId(overlay.id);
    if (!custom && (!isRootCauseId(overlay.id) || overlay.id === "none")) {
      refuse([...at, "id"], `"${overlay.id}" is neither a catalog id nor a team's own custom.<name>`);
    } else if (index < 0 && (!overlay.summary || overlay.requires.length === 0)) {
      refuse([...at, "id"], `${overlay.id} is a new cause: it needs a summary and at least one required signal`);
    }
    const resolved = resolveRule({ summary: "", ...overlay }, at, groups, vocabulary, refuse);
    const existing = rules[index];
    if (!existing) rules.push(resolved);
    else
      rules[index] = {
        id: existing.id,
        summary: overlay.summary ?? existing.summary,
        requires: [...existing.requires, ...resolved.requires],
        supports: [...existing.supports, ...resolved.supports],
        contrary: [...existing.contrary, ...resolved.contrary],
        explains: [...new Set([...existing.explains, ...resolved.explains])],
      };
  });
  const known = new Set(rules.map((rule) => rule.id));
  data.rules.forEach((overlay, r) =>
    overlay.explains.forEach((id, i) => {
      if (!known.has(id)) refuse(["rules", r, "explains", i], `"${id}" has no rule to explain`);
    }),
  );
  if (issues.length > 0) throw new RulesError(file, issues);
  return { ...base, groups, rules };
}

function checkKind(kind: string, path: Path, vocabulary: RulesVocabulary, refuse: Refuse): void {
  if (!vocabulary.kinds.has(kind)) refuse(path, `unknown finding kind "${kind}": no tool declares it`);
}

function checkGroups(
  groups: Readonly<Record<string, readonly string[]>>,
  existing: Readonly<Record<string, readonly string[]>>,
  vocabulary: RulesVocabulary,
  refuse: Refuse,
): void {
  for (const [name, kinds] of Object.entries(groups)) {
    if (existing[name]) refuse(["groups", name], `group "${name}" is already defined: name yours differently`);
    kinds.forEach((kind, i) => checkKind(kind, ["groups", name, i], vocabulary, refuse));
  }
}

function resolveRule(
  rule: z.output<typeof RuleOverlaySchema> & { summary: string },
  at: Path,
  groups: Readonly<Record<string, readonly string[]>>,
  vocabulary: RulesVocabulary,
  refuse: Refuse,
): CauseRule {
  const signals = (section: "requires" | "supports" | "contrary") =>
    rule[section].map((signal, i) => resolveSignal(signal, groups, vocabulary, [...at, section, i], refuse));
  rule.explains.forEach((id, i) => {
    const ok = (isRootCauseId(id) && id !== "none") || isCustomRootCauseId(id);
    if (!ok) refuse([...at, "explains", i], `"${id}" is not a root-cause id of the catalog`);
  });
  return {
    id: rule.id,
    summary: rule.summary,
    requires: signals("requires"),
    supports: signals("supports"),
    contrary: signals("contrary"),
    explains: rule.explains,
  };
}

function resolveSignal(
  signal: SignalSpec,
  groups: Readonly<Record<string, readonly string[]>>,
  vocabulary: RulesVocabulary,
  path: Path,
  refuse: Refuse,
): Signal {
  let kinds: readonly string[];
  if (signal.group !== undefined) {
    kinds = groups[signal.group] ?? [];
    if (!groups[signal.group]) refuse([...path, "group"], `unknown group "${signal.group}": define it under groups`);
  } else {
    kinds = signal.kinds ?? (signal.kind ? [signal.kind] : []);
    kinds.forEach((kind, i) =>
      checkKind(kind, signal.kinds ? [...path, "kinds", i] : [...path, "kind"], vocabulary, refuse),
    );
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
