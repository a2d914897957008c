import { z } from "zod";

export const InstantSchema = z.iso
  .datetime({ offset: true })
  .describe("An absolute instant, ISO 8601 with Z or an offset");

export const TimeWindowSchema = z
  .object({
    start: InstantSchema.describe("Start of the window (inclusive)"),
    end: InstantSchema.describe("End of the window (inclusive): usually the incident time"),
  })
  .refine((w) => Date.parse(w.start) <= Date.parse(w.end), { message: "window start must not be after its end" })
  .describe("The time window a tool restricts its evidence to");
export type TimeWindow = z.infer<typeof TimeWindowSchema>;

/** A window in epoch milliseconds, the form analyzers compare against. */
export interface WindowMs {
  start: number;
  end: number;
}

export function toWindowMs(window: TimeWindow): WindowMs {
  return { start: Date.parse(window.start), end: Date.parse(window.end) };
}
