/**
 * Just enough of `containerd config dump` (TOML) to answer what other tools ask: the sandbox (pause)
 * image and whether runc uses the systemd cgroup driver. Line-level on purpose: the dump is flat
 * `key = value` lines under `[table]` headers, and a full TOML parser would be a dependency for two
 * values. Handles containerd 1.x (`version = 2`, `sandbox_image` under the CRI plugin) and 2.x
 * (`version = 3`, `sandbox` under `pinned_images`, single-quoted strings).
 */

export interface ContainerdConfig {
  /** `version = 2` (containerd 1.x) or `3` (2.x). */
  version: number | undefined;
  sandboxImage: string | undefined;
  /** SystemdCgroup of the default runtime's options (runc unless `default_runtime_name` says otherwise). */
  systemdCgroup: boolean | undefined;
  defaultRuntime: string;
  snapshotter: string | undefined;
  /** Whether anything containerd-shaped was found at all (a table header or a known key). */
  recognized: boolean;
  /** The command printed an error instead of (or before) the config, e.g. a TOML load failure. */
  error: string | undefined;
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;
const ASSIGN = /^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/;
const ERROR_LINE = /^(?:containerd: )?(?:failed to|error|Error:|time="[^"]*" level=(?:fatal|error))/i;

function unquote(raw: string): string {
  const value = raw.replace(/\s+#.*$/, "");
  if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
    return value.slice(1, -1);
  return value;
}

function bool(raw: string): boolean | undefined {
  const value = unquote(raw).toLowerCase();
  return value === "true" ? true : value === "false" ? false : undefined;
}

/** The runtime name of a `…containerd.runtimes.<name>.options` table, if the table is one. */
function runtimeOptionsOf(table: string): string | undefined {
  const m = /containerd\.runtimes\.(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\.options$/.exec(table);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

export function parseContainerdConfig(text: string): ContainerdConfig {
  const out: ContainerdConfig = {
    version: undefined,
    sandboxImage: undefined,
    systemdCgroup: undefined,
    defaultRuntime: "runc",
    snapshotter: undefined,
    recognized: false,
    error: undefined,
  };
  const systemdByRuntime = new Map<string, boolean>();
  let table = "";
  for (const rawLine of text.split("\n")) {
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const header = HEADER.exec(line);
    if (header) {
      table = header[1] as string;
      if (table.startsWith("plugins") || table === "grpc" || table === "cgroup" || table === "debug")
        out.recognized = true;
      continue;
    }
    const assign = ASSIGN.exec(line);
    if (!assign) {
      if (out.error === undefined && ERROR_LINE.test(trimmed)) out.error = trimmed.slice(0, 300);
      continue;
    }
    const key = unquote(assign[1] as string);
    const value = assign[2] as string;
    if (table === "" && key === "version") {
      const v = Number(unquote(value));
      if (Number.isInteger(v)) out.version = v;
      out.recognized = true;
    } else if (key === "sandbox_image" || (key === "sandbox" && table.endsWith("pinned_images"))) {
      const image = unquote(value);
      if (image) out.sandboxImage = image;
      out.recognized = true;
    } else if (key === "SystemdCgroup") {
      const flag = bool(value);
      const runtime = runtimeOptionsOf(table) ?? "runc";
      if (flag !== undefined) systemdByRuntime.set(runtime, flag);
      out.recognized = true;
    } else if (key === "default_runtime_name") {
      const name = unquote(value);
      if (name) out.defaultRuntime = name;
    } else if (key === "snapshotter" && /cri|containerd/.test(table) && out.snapshotter === undefined) {
      const name = unquote(value);
      if (name) out.snapshotter = name;
    } else if (key === "root" || key === "state") {
      out.recognized = true;
    }
  }
  out.systemdCgroup =
    systemdByRuntime.get(out.defaultRuntime) ?? systemdByRuntime.get("runc") ?? [...systemdByRuntime.values()][0];
  return out;
}
