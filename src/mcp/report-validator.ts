import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from "@modelcontextprotocol/sdk/validation/types.js";
import { ToolReportSchema } from "../domain/tool-report.ts";

/**
 * Validates tool results for fathom's MCP clients. Every fathom tool's output schema IS the
 * ToolReport zod schema, so results are checked with zod directly; any other schema goes to the
 * refused. Compiling 27 copies of the same JSON Schema with Ajv cost
 * more than half a second of every cold start. Other schemas are refused: lanes call fathom tools only.
 */
export function createReportValidator(): jsonSchemaValidator {
  const description = ToolReportSchema.description;
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      if (description !== undefined && (schema as { description?: string }).description === description) {
        return (input: unknown) => {
          const parsed = ToolReportSchema.safeParse(input);
          return parsed.success
            ? { valid: true, data: parsed.data as T, errorMessage: undefined }
            : {
                valid: false,
                data: undefined,
                errorMessage: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
              };
        };
      }
      // fathom's lanes only call tools that declare a lane, i.e. fathom's own, whose schema is above.
      return () => ({
        valid: false,
        data: undefined,
        errorMessage: "fathom's coordinator validates fathom tool reports only",
      });
    },
  };
}
