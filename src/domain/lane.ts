import { z } from "zod";

/** The four diagnostic lanes, in the fixed order reports use. */
export const LANE_NAMES = ["network", "service", "runtime", "host"] as const;
export const LaneNameSchema = z.enum(LANE_NAMES).describe("Diagnostic lane");
export type LaneName = z.infer<typeof LaneNameSchema>;
