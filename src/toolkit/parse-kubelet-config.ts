import { parse as parseYaml } from "yaml";

/**
 * Parsers for the kubelet's own configuration as the collector copies it: the unit file
 * (`systemctl cat kubelet`: the unit plus its drop-ins, `ExecStart=` with continuation lines and
 * `Environment=` assignments), the KubeletConfiguration file and its `config.json.d` drop-ins.
 */

export interface KubeletUnit {
  /** Flags from ExecStart after expanding variables set by `Environment=` lines, last one wins. */
  flags: Map<string, string>;
  environment: Map<string, string>;
  /** Variables ExecStart references that no `Environment=` line sets (they come from an EnvironmentFile the bundle lacks). */
  unresolved: string[];
  environmentFiles: string[];
  hasExecStart: boolean;
}

/** Splits a command line into words the way systemd does: whitespace-separated, '…' and "…" quoted, backslash escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Joins `\`-continued lines of a unit file into logical lines. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(pending + line);
    pending = "";
  }
  if (pending) out.push(pending);
  return out;
}

const VARIABLE = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/;

export function parseKubeletUnit(text: string): KubeletUnit {
  const environment = new Map<string, string>();
  const environmentFiles: string[] = [];
  let execStart: string | undefined;
  for (const line of logicalLines(text)) {
    const trimmed = line.trim();
    if (trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const m = /^(ExecStart|Environment|EnvironmentFile)\s*=\s*(.*)$/.exec(trimmed);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === "ExecStart") execStart = value.trim() === "" ? undefined : value.replace(/^[-@:+!]+/, "");
    else if (key === "EnvironmentFile") environmentFiles.push(value.replace(/^-/, "").trim());
    else
      for (const word of splitWords(value)) {
        const eq = word.indexOf("=");
        if (eq > 0) environment.set(word.slice(0, eq), word.slice(eq + 1));
      }
  }
  const unresolved = new Set<string>();
  const words: string[] = [];
  for (const word of execStart ? splitWords(execStart).slice(1) : []) {
    const variable = VARIABLE.exec(word);
    if (!variable) {
      words.push(word);
      continue;
    }
    const value = environment.get(variable[1] as string);
    if (value === undefined) unresolved.add(variable[1] as string);
    else words.push(...splitWords(value));
  }
  return {
    flags: parseFlags(words),
    environment,
    unresolved: [...unresolved],
    environmentFiles,
    hasExecStart: execStart !== undefined,
  };
}

/** `--name=value`, `--name value` and bare boolean `--name`; the last occurrence wins, as in pflag. */
export function parseFlags(words: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    if (!word.startsWith("-")) continue;
    const name = word.replace(/^--?/, "");
    const eq = name.indexOf("=");
    if (eq > 0) {
      flags.set(name.slice(0, eq), name.slice(eq + 1));
      continue;
    }
    const next = words[i + 1];
    if (next !== undefined && !next.startsWith("-")) {
      flags.set(name, next);
      i += 1;
    } else flags.set(name, "true");
  }
  return flags;
}

export type ParsedDocument = { ok: true; value: unknown; format: "json" | "yaml" } | { ok: false; reason: string };

/**
 * A kubelet config file: JSON as the EKS AMIs write it, or YAML (the kubelet's decoder takes both,
 * so a YAML file named `config.json` is still a valid config).
 */
export function parseConfigDocument(text: string): ParsedDocument {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body), format: "json" };
  } catch (jsonError) {
    try {
      const value: unknown = parseYaml(body, { maxAliasCount: 100 });
      if (value && typeof value === "object" && !Array.isArray(value)) return { ok: true, value, format: "yaml" };
    } catch {
      // fall through to the JSON error, the format the file claims
    }
    return { ok: false, reason: `invalid JSON: ${(jsonError as Error).message.slice(0, 120)}` };
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Drop-in semantics of the kubelet's `--config-dir`: maps merge key by key, lists and scalars replace. */
export function mergeConfig(base: JsonObject, override: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { m: 1e-3, "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes resource quantity (`442Mi`, `1Gi`, `100M`, `0.5`) as a number of base units. */
export function parseQuantity(text: unknown): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) ? text : undefined;
  if (typeof text !== "string") return undefined;
  const m = /^\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|m|k|K|M|G|T|P|E)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] ?? "";
  const factor = BINARY[unit] ?? DECIMAL[unit];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/** `memory=500Mi,cpu=100m` (the `--system-reserved` / `--kube-reserved` / `--eviction-hard` flag forms) → map. */
export function parseMapFlag(text: string, separator = "="): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf(separator);
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + separator.length).trim();
  }
  return out;
}
