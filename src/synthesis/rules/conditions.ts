import type { AttributeValue } from "../../domain/finding.ts";
import type { IdentifiedFinding } from "../../domain/investigation.ts";
import type { WindowMs } from "../../domain/time.ts";
import type { Comparison, Condition } from "./rules-schema.ts";

type Scalar = string | number | boolean;
type Operand = Scalar | { attribute: string };
interface Compared {
  eq?: Operand;
  ne?: Operand;
  lt?: Operand;
  lte?: Operand;
  gt?: Operand;
  gte?: Operand;
  missing?: Scalar;
}

/**
 * Whether a finding meets a rule's condition. Pure. A value that is missing (or of a type the
 * comparison cannot use) makes the condition false, unless the condition states what a missing
 * value stands for (`missing:`).
 */
export function holds(condition: Condition, finding: IdentifiedFinding, window: WindowMs): boolean {
  if ("all" in condition) return condition.all.every((c) => holds(c, finding, window));
  if ("any" in condition) return condition.any.some((c) => holds(c, finding, window));
  if ("contains" in condition) return listOf(attributeOf(finding, condition.attribute)).includes(condition.contains);
  if ("seenWithin" in condition) {
    if (!finding.lastSeen || !Number.isFinite(window.end)) return false;
    return window.end - Date.parse(finding.lastSeen) <= condition.seenWithin;
  }
  if ("count" in condition) return compare(finding.count, condition.count, finding);
  if ("ratio" in condition) {
    const of = attributeOf(finding, condition.ratio.of);
    const to = attributeOf(finding, condition.ratio.to);
    const ratio = typeof of === "number" && typeof to === "number" && to > 0 ? of / to : undefined;
    return compare(ratio, condition, finding);
  }
  return compare(attributeOf(finding, condition.attribute), condition, finding);
}

function compare(value: AttributeValue | undefined, condition: Compared, finding: IdentifiedFinding): boolean {
  const [op, operand] = comparisonOf(condition);
  const left = usable(value, op) ? value : condition.missing;
  const right = typeof operand === "object" ? attributeOf(finding, operand.attribute) : operand;
  if (left === undefined || !usable(right, op)) return false;
  switch (op) {
    case "eq":
      return left === right;
    case "ne":
      return left !== right;
    case "lt":
      return (left as number) < (right as number);
    case "lte":
      return (left as number) <= (right as number);
    case "gt":
      return (left as number) > (right as number);
    case "gte":
      return (left as number) >= (right as number);
  }
}

function comparisonOf(condition: Compared): [Comparison, Operand] {
  for (const op of ["eq", "ne", "lt", "lte", "gt", "gte"] as const) {
    const operand = condition[op];
    if (operand !== undefined) return [op, operand];
  }
  throw new Error("a comparison without an operator (the rules schema refuses these)");
}

/** Order comparisons need numbers; equality takes any scalar. */
function usable(value: AttributeValue | undefined, op: Comparison): value is Scalar {
  if (value === undefined || value === null || Array.isArray(value)) return false;
  return op === "eq" || op === "ne" ? true : typeof value === "number";
}

/** `name` or `name[i]` (one element of a list attribute). */
export function attributeOf(finding: IdentifiedFinding, path: string): AttributeValue | undefined {
  const match = /^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$/.exec(path);
  if (!match) return undefined;
  const value = finding.attributes[match[1] as string];
  if (match[2] === undefined) return value;
  return Array.isArray(value) ? value[Number(match[2])] : undefined;
}

/** A list attribute as a list; a single value counts as a list of one. */
function listOf(value: AttributeValue | undefined): Scalar[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}
