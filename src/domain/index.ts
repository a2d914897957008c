export * from "./severity.ts";
export * from "./time.ts";
export * from "./node-ref.ts";
export * from "./finding.ts";
export * from "./tool-report.ts";
export * from "./incident.ts";
