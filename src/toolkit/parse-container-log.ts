/**
 * Container logs as eks-log-collector copies them: `var_log/<pod>_<ns>_<container>-<id>.log` (from
 * /var/log/containers) and `var_log/<ns>_<pod>_<uid>/<container>/<N>.log` (from /var/log/pods).
 * The first is a symlink to the second on the node, and the collector dereferences both, so the same
 * bytes usually appear twice: tools must read one copy only or they count every line double.
 */

export interface ContainerLogRef {
  path: string;
  form: "containers" | "pods";
  namespace: string;
  pod: string;
  container: string;
  /** `N` of `/var/log/pods/…/<container>/N.log`: the container's restart index. */
  restart?: number;
}

const CONTAINERS_FORM = /^var_log\/([^/_]+)_([^/_]+)_([^/_]+?)-([0-9a-f]{6,})\.log$/;
const PODS_FORM = /^var_log\/([^/_]+)_([^/_]+)_([^/_]+)\/([^/]+)\/(\d+)\.log$/;

/** What a container log path says about its pod and container; undefined for other files. */
export function parseContainerLogPath(path: string): ContainerLogRef | undefined {
  let m = PODS_FORM.exec(path);
  if (m)
    return {
      path,
      form: "pods",
      namespace: m[1] as string,
      pod: m[2] as string,
      container: m[4] as string,
      restart: Number(m[5]),
    };
  m = CONTAINERS_FORM.exec(path);
  if (m) return { path, form: "containers", pod: m[1] as string, namespace: m[2] as string, container: m[3] as string };
  return undefined;
}

/**
 * Drops the duplicate copies: for a pod+container that has `/var/log/pods` files, those are kept
 * (they also carry the restart index) and its `/var/log/containers` copies are dropped. Paths that
 * are not container logs are kept as they are. Order is preserved.
 */
export function dedupeContainerLogs(paths: readonly string[]): string[] {
  const withPodsForm = new Set<string>();
  for (const path of paths) {
    const ref = parseContainerLogPath(path);
    if (ref?.form === "pods") withPodsForm.add(`${ref.namespace}/${ref.pod}/${ref.container}`);
  }
  return paths.filter((path) => {
    const ref = parseContainerLogPath(path);
    return !(ref?.form === "containers" && withPodsForm.has(`${ref.namespace}/${ref.pod}/${ref.container}`));
  });
}

const CRI_HEAD = /^\d{4}-\d{2}-\d{2}T\S+ (?:stdout|stderr) [FP] ?/;

/**
 * The text a container wrote, without the CRI prefix `<RFC3339Nano> stdout|stderr F|P `; lines
 * that are not CRI-wrapped (a plain log file) come back unchanged.
 */
export function criMessage(line: string): string {
  const c = line.charCodeAt(0);
  if (c < 48 || c > 57) return line;
  const m = CRI_HEAD.exec(line);
  return m ? line.slice(m[0].length) : line;
}

/** Go duration (`45.1ms`, `1m2.5s`, `850µs`) in seconds; undefined when none is found. */
export function goDurationSeconds(text: string): number | undefined {
  let seconds = 0;
  let found = false;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g)) {
    found = true;
    const n = Number(value);
    if (unit === "h") seconds += n * 3600;
    else if (unit === "m") seconds += n * 60;
    else if (unit === "s") seconds += n;
    else if (unit === "ms") seconds += n / 1000;
    else if (unit === "ns") seconds += n / 1e9;
    else seconds += n / 1e6;
  }
  return found ? seconds : undefined;
}

const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

/**
 * The instant of a CRI line (`2026-11-24T10:01:02.123456789Z …`) read by character offsets, which
 * is several times cheaper than a regex on the hot path; undefined for anything else (callers fall
 * back to the general parsers for offsets, year-less and plain klog lines).
 */
export function criTime(line: string): number | undefined {
  if (line.length < 20 || line.charCodeAt(4) !== 45 || line.charCodeAt(10) !== 84 || line.charCodeAt(13) !== 58)
    return undefined;
  const year = d2(line, 0) * 100 + d2(line, 2);
  let ms = 0;
  let i = 19;
  if (line.charCodeAt(i) === 46) {
    let scale = 100;
    for (i += 1; i < line.length; i++) {
      const c = line.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
    }
  }
  if (line.charCodeAt(i) !== 90) return undefined;
  const t = Date.UTC(year, d2(line, 5) - 1, d2(line, 8), d2(line, 11), d2(line, 14), d2(line, 17), Math.floor(ms));
  return Number.isFinite(t) ? t : undefined;
}
