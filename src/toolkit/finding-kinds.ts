import { z } from "zod";

/**
 * What a finding kind means and which attributes it carries, with their types and units. Rules
 * may name only declared kinds and attributes, and tools emit only declared attributes (every
 * tool test and every scenario replay checks each finding against its kind's declaration).
 */
export interface KindSpec {
  description: string;
  /** Each attribute the kind may carry; absent ones are allowed, undeclared ones are not. */
  attributes: z.ZodRawShape;
}

export function kind(description: string, attributes: z.ZodRawShape = {}): KindSpec {
  return { description, attributes };
}

/** Typed, described attribute declarations; units go in the description. */
export const attr = {
  /** A whole number of things (occurrences, entries, addresses). */
  count: (description: string) => z.number().int().nonnegative().describe(description),
  /** A measured number; say the unit. */
  number: (description: string, unit?: string) => z.number().describe(unit ? `${description} (${unit})` : description),
  percent: (description: string) => z.number().describe(`${description} (percent, 0–100)`),
  bytes: (description: string) => z.number().nonnegative().describe(`${description} (bytes)`),
  seconds: (description: string) => z.number().describe(`${description} (seconds)`),
  ms: (description: string) => z.number().describe(`${description} (milliseconds)`),
  flag: (description: string) => z.boolean().describe(description),
  text: (description: string) => z.string().describe(description),
  /** An instant, ISO 8601. */
  instant: (description: string) => z.string().describe(`${description} (ISO 8601 instant)`),
  texts: (description: string) => z.array(z.string()).describe(description),
  numbers: (description: string) => z.array(z.number()).describe(description),
  /** A value the source may leave unknown (null). */
  nullable: <T extends z.ZodType>(schema: T) => schema.nullable(),
  /** Mixed scalars, where the source's own types vary (counter maps flattened to lists). */
  values: (description: string) => z.array(z.union([z.string(), z.number(), z.boolean()])).describe(description),
} as const;

/** Every problem with a finding's attributes against its kind's declaration; empty when it conforms. */
export function undeclaredAttributes(
  spec: KindSpec | undefined,
  kindName: string,
  attributes: Record<string, unknown>,
): string[] {
  if (!spec) return [`kind ${kindName} is not declared`];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    const schema = spec.attributes[name];
    if (!schema) problems.push(`${kindName}: attribute "${name}" is not declared`);
    else {
      const parsed = (schema as z.ZodType).safeParse(value);
      if (!parsed.success)
        problems.push(
          `${kindName}: attribute "${name}" = ${JSON.stringify(value)?.slice(0, 80)}: ${parsed.error.issues[0]?.message}`,
        );
    }
  }
  return problems;
}
