/**
 * The one redaction module. Everything that leaves a tool (excerpts, summaries, attribute values,
 * gap reasons), every log line and every report passes through here: bundles carry environment
 * variables, cloud-init output and process arguments, and those carry credentials.
 * Replacements keep the shape (`KEY=[REDACTED]`) so a reader still sees that a value was set.
 */

const MARK = "[REDACTED]";

// Names whose values are secret. Deliberately broad: a redacted non-secret costs little.
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|passphrase|pwd|api[_-]?key|access[_-]?key|private[_-]?key|credential|session|auth[_-]?key|_key|-key|key)[A-Za-z0-9_.-]*`;
// Values that only point at a secret (a file path, a mounted volume) stay readable.
const POINTER_VALUE = /^(?:\/|\.\/|file:|\$\{|\$\(|<|\[REDACTED)/;

const RULES: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  // PEM private key blocks, whole.
  [
    /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    `-----BEGIN $1PRIVATE KEY----- ${MARK}`,
  ],
  // JSON env entries: {"name":"AWS_SECRET_ACCESS_KEY","value":"…"}
  [
    new RegExp(String.raw`("name"\s*:\s*"${SECRET_NAME}"\s*,\s*"value"\s*:\s*")((?:[^"\\]|\\.)*)(")`, "gi"),
    (_m, head, value, tail) => (POINTER_VALUE.test(value ?? "") ? `${head}${value}${tail}` : `${head}${MARK}${tail}`),
  ],
  // Authorization headers and bearer/basic credentials.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MARK}`],
  // JWTs (service-account tokens, OIDC).
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MARK],
  // aws-iam-authenticator / `aws eks get-token` tokens.
  [/\bk8s-aws-v1\.[A-Za-z0-9_-]{10,}/g, `k8s-aws-v1.${MARK}`],
  // Presigned URL credentials.
  [/(X-Amz-(?:Security-Token|Signature|Credential)=)[^&\s"']+/gi, `$1${MARK}`],
  // Credentials inside URLs: scheme://user:pass@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:)[^\s@/"']+@/gi, `$1${MARK}@`],
  // KEY=value, KEY: value, "key": "value", --key=value, --key value
  [
    new RegExp(
      String.raw`(^|[\s"'{,;(])(-{0,2}"?${SECRET_NAME}"?)(\s*[=:]\s*|\s+(?=[^\s=:-]))(["']?)([^\s"',;)}]+)`,
      "gim",
    ),
    (_m, lead, key, sep, quote, value) => {
      if (POINTER_VALUE.test(value ?? "") || /^(true|false|null|none|\d{1,6})$/i.test(value ?? "")) return _m;
      // `--key value` form only for flags; a bare word followed by a word is prose ("token expired").
      if (!/[=:]/.test(sep ?? "") && !(key ?? "").startsWith("-")) return _m;
      return `${lead}${key}${sep}${quote}${MARK}`;
    },
  ],
  // AWS access key ids (long-term and temporary).
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b/g, MARK],
  // AWS session tokens and other long base64 blobs.
  [/(?<![A-Za-z0-9/+])(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9/+=]{20,}/g, MARK],
  [/(?<![A-Za-z0-9/+_-])[A-Za-z0-9/+]{120,}={0,2}(?![A-Za-z0-9/+=])/g, MARK],
  // 40-character AWS secret access keys: mixed case and digits (a lowercase hex sha1 does not match).
  [
    /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    MARK,
  ],
];

/** Redacts secrets in free text. Idempotent. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement as string);
  return out;
}

/** Redacts a value for a named field: a secret-looking name hides the whole value. */
export function redactField(name: string, value: string): string {
  if (new RegExp(`^${SECRET_NAME}$`, "i").test(name) && !POINTER_VALUE.test(value)) return MARK;
  return redactText(value);
}

/** Deep-redacts every string in a JSON-like value; object keys that name secrets hide their values. */
export function redactDeep<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (typeof value === "string") return key === undefined ? redactText(value) : redactField(key, value);
  if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, KNOWN_SAFE_KEYS.has(k) ? undefined : k);
    return out;
  }
  return value;
}

// Structural keys of fathom's own schemas whose names look secret-ish but hold plain text.
const KNOWN_SAFE_KEYS = new Set(["kind", "summary", "excerpt", "source", "tool", "node", "reason", "id"]);
