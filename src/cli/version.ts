/** fathom's version, reported to MCP clients and in reports. */
export const VERSION = "0.1.0";
