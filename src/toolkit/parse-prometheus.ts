/**
 * The Prometheus text exposition format (what IPAMD's `:61678/metrics` answers, saved by the
 * collector as `ipamd/metrics.json` despite the name): `# HELP` / `# TYPE` comments, then
 * `name{label="value",…} value [timestamp]` lines.
 */

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** 1-based line in the file. */
  line: number;
  /** The sample's text as written. */
  text: string;
}

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

function parseValue(text: string): number {
  switch (text) {
    case "+Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    case "NaN":
      return Number.NaN;
    default:
      return Number(text);
  }
}

/** Samples of a Prometheus text body; lines that are not samples (or other metric families, with `prefix`) are skipped. */
export function parsePrometheusText(text: string, prefix = ""): MetricSample[] {
  const samples: MetricSample[] = [];
  let lineNo = 0;
  for (const raw of text.split("\n")) {
    lineNo += 1;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || line.startsWith("#") || (prefix && !line.startsWith(prefix))) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!/^[A-Za-z_:][A-Za-z0-9_:]*$/.test(name)) continue;
    let rest = line.slice(nameEnd);
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      const close = rest.lastIndexOf("}");
      if (close < 0) continue;
      for (const m of rest.slice(1, close).matchAll(LABEL))
        labels[m[1] as string] = (m[2] as string).replace(/\\(["\\])/g, "$1").replace(/\\n/g, "\n");
      rest = rest.slice(close + 1);
    }
    const valueText = rest.trim().split(/\s+/)[0];
    if (!valueText) continue;
    const value = parseValue(valueText);
    if (Number.isNaN(value) && valueText !== "NaN") continue;
    samples.push({ name, labels, value, line: lineNo, text: line });
  }
  return samples;
}

/** The samples of one metric family. */
export function samplesOf(samples: readonly MetricSample[], name: string): MetricSample[] {
  return samples.filter((s) => s.name === name);
}

/** The sum of a metric's samples (finite values only), or undefined when it has none. */
export function sumOf(samples: readonly MetricSample[], name: string): number | undefined {
  const found = samplesOf(samples, name).filter((s) => Number.isFinite(s.value));
  return found.length === 0 ? undefined : found.reduce((total, s) => total + s.value, 0);
}
