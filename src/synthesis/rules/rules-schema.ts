import { z } from "zod";
import { SeveritySchema } from "../../domain/severity.ts";

/**
 * The shape of the diagnostic rules file (src/catalog/diagnostic-rules.yaml). Its header says what
 * each form means; this schema is what the loader holds it to. Strict objects everywhere: a
 * misspelled key is an unknown form, and an unknown form refuses the whole file.
 */

const AttributeNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*(\[\d+\])?$/, "an attribute is a name, optionally with a list index: clusterDNS[0]")
  .describe("A finding attribute, or one element of a list attribute");

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** The other side of a comparison: a value, or another attribute of the same finding. */
const OperandSchema = z.union([ScalarSchema, z.strictObject({ attribute: AttributeNameSchema })]);

const COMPARISONS = ["eq", "ne", "lt", "lte", "gt", "gte"] as const;
export type Comparison = (typeof COMPARISONS)[number];

const comparisonFields = {
  eq: OperandSchema.optional(),
  ne: OperandSchema.optional(),
  lt: OperandSchema.optional(),
  lte: OperandSchema.optional(),
  gt: OperandSchema.optional(),
  gte: OperandSchema.optional(),
  /** The value a missing (or non-comparable) attribute stands for; without it the condition is false. */
  missing: ScalarSchema.optional(),
};

const oneComparison = <T extends Record<string, unknown>>(shape: T) =>
  Object.keys(shape).filter((k) => (COMPARISONS as readonly string[]).includes(k) && shape[k] !== undefined).length ===
  1;

export const AttributeConditionSchema = z
  .strictObject({ attribute: AttributeNameSchema, ...comparisonFields })
  .refine(oneComparison, "an attribute condition takes exactly one of eq, ne, lt, lte, gt, gte");

export const ContainsConditionSchema = z.strictObject({
  attribute: AttributeNameSchema,
  contains: ScalarSchema.describe("The list attribute (or a single value) includes this value"),
});

export const RatioConditionSchema = z
  .strictObject({
    ratio: z.strictObject({ of: AttributeNameSchema, to: AttributeNameSchema }),
    ...comparisonFields,
  })
  .refine(oneComparison, "a ratio condition takes exactly one of eq, ne, lt, lte, gt, gte");

export const CountConditionSchema = z
  .strictObject({ count: z.strictObject(comparisonFields) })
  .refine((c) => oneComparison(c.count), "a count condition takes exactly one of eq, ne, lt, lte, gt, gte");

export const DurationSchema = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, "a duration is a number and a unit: 90s, 30m, 2h, 1d")
  .transform((text) => Number(text.slice(0, -1)) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[text.slice(-1) as "s"]);

export const RecencyConditionSchema = z.strictObject({
  seenWithin: DurationSchema.describe("The finding was last seen at most this long before the incident window ends"),
});

export type Condition =
  | z.infer<typeof AttributeConditionSchema>
  | z.infer<typeof ContainsConditionSchema>
  | z.infer<typeof RatioConditionSchema>
  | z.infer<typeof CountConditionSchema>
  | z.infer<typeof RecencyConditionSchema>
  | { all: Condition[] }
  | { any: Condition[] };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(ConditionSchema).min(1) }),
    z.strictObject({ any: z.array(ConditionSchema).min(1) }),
    ContainsConditionSchema,
    AttributeConditionSchema,
    RatioConditionSchema,
    CountConditionSchema,
    RecencyConditionSchema,
  ]),
);

const KindSchema = z
  .string()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "a finding kind is a dotted id like ipamd.subnet-exhausted");

export const SignalSchema = z
  .strictObject({
    kind: KindSchema.optional(),
    kinds: z.array(KindSchema).min(1).optional(),
    group: z.string().optional().describe("A named list of kinds from `groups`"),
    weight: z.number().positive().max(10),
    why: z.string().min(1).describe("Said in ruled-out reasons and summaries"),
    minSeverity: SeveritySchema.optional(),
    where: ConditionSchema.optional(),
  })
  .refine(
    (s) => [s.kind, s.kinds, s.group].filter((x) => x !== undefined).length === 1,
    "a signal names its evidence with exactly one of kind, kinds or group",
  );
export type SignalSpec = z.infer<typeof SignalSchema>;

export const RuleSchema = z.strictObject({
  id: z.string().describe("A catalog id"),
  summary: z.string().min(1),
  requires: z.array(SignalSchema).min(1),
  supports: z.array(SignalSchema).default([]),
  contrary: z.array(SignalSchema).default([]),
  explains: z.array(z.string()).default([]),
});
export type RuleSpec = z.infer<typeof RuleSchema>;

const FactorSchema = z.number().min(0).max(2);

export const ScoringSchema = z.strictObject({
  minConfidence: z.number().min(0).max(1),
  minCoverage: z.number().min(0).max(1),
  downstreamFactor: FactorSchema,
  breadthPerDoubling: FactorSchema,
  severityFactor: z.strictObject({
    critical: FactorSchema,
    high: FactorSchema,
    medium: FactorSchema,
    low: FactorSchema,
    info: FactorSchema,
  }),
  recency: z
    .array(z.strictObject({ within: DurationSchema.optional(), factor: FactorSchema }))
    .min(1)
    .refine((steps) => steps.at(-1)?.within === undefined, "the last recency step has no `within`: it is the rest"),
  inconclusive: z.strictObject({ confidence: z.number().min(0).max(1) }),
  nothingFound: z.strictObject({
    base: z.number().min(0).max(1),
    perCoverage: z.number().min(0).max(1),
    perCauseConsidered: z.number().min(0).max(1),
    floor: z.number().min(0).max(1),
  }),
});
export type Scoring = z.infer<typeof ScoringSchema>;

export const RulesFileSchema = z.strictObject({
  scoring: ScoringSchema,
  applicationKinds: z.array(KindSchema),
  groups: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.array(KindSchema).min(1)).default({}),
  rules: z.array(RuleSchema).min(1),
});
export type RulesFile = z.infer<typeof RulesFileSchema>;

/**
 * A team's rules file (`--rules`), merged over the built-in one: rules for their own `custom.<name>`
 * ids, and additions to built-in rules. A rule for an id that already has one adds its signals
 * after the existing ones and its `explains` to theirs; its `summary`, when given, replaces the
 * existing one. Nothing a team file says removes built-in evidence, and scoring stays as shipped.
 */
export const RuleOverlaySchema = z.strictObject({
  id: z.string(),
  summary: z.string().min(1).optional(),
  requires: z.array(SignalSchema).default([]),
  supports: z.array(SignalSchema).default([]),
  contrary: z.array(SignalSchema).default([]),
  explains: z.array(z.string()).default([]),
});

export const RulesOverlayFileSchema = z.strictObject({
  groups: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.array(KindSchema).min(1)).default({}),
  rules: z.array(RuleOverlaySchema).min(1),
});
export type RulesOverlayFile = z.infer<typeof RulesOverlayFileSchema>;
