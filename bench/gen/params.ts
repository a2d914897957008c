import { MiB } from "./common.ts";

/** What the large bundle is made of; a change of any field regenerates it. */
export interface BundleParams {
  scale: number;
  kubeletBytes: number;
  messagesBytes: number;
  conntrackEntries: number;
  iptablesRules: number;
  seed: number;
}

export interface BenchArgs {
  params: BundleParams;
  force: boolean;
  runs: number;
  /** Only the generator (large-bundle.ts), or the whole bench. */
  skipTgz: boolean;
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

function num(argv: readonly string[], name: string, env: string, fallback: number): number {
  const raw = flag(argv, name) ?? process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} (or ${env}) must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

export const USAGE = `options (each also as an environment variable):
  --scale N              multiply every size below (BENCH_SCALE, default 1; 0.1 for a quick run)
  --kubelet-mb N         kubelet/kubelet.log size in MiB at scale 1 (BENCH_KUBELET_MB, default 1024)
  --messages-mb N        var_log/messages size in MiB at scale 1 (BENCH_MESSAGES_MB, default 200)
  --conntrack-entries N  conntrack -L entries at scale 1 (BENCH_CONNTRACK_ENTRIES, default 1000000)
  --iptables-rules N     iptables-save rules at scale 1 (BENCH_IPTABLES_RULES, default 50000)
  --seed N               generator seed (BENCH_SEED, default 1)
  --runs N               runs for the journal-vs-grep medians (BENCH_RUNS, default 3)
  --force                regenerate the bundle even if the marker matches
  --skip-tgz             only the directory (no .tar.gz rows)`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const scale = num(argv, "scale", "BENCH_SCALE", 1);
  const params: BundleParams = {
    scale,
    kubeletBytes: Math.round(num(argv, "kubelet-mb", "BENCH_KUBELET_MB", 1024) * MiB * scale),
    messagesBytes: Math.round(num(argv, "messages-mb", "BENCH_MESSAGES_MB", 200) * MiB * scale),
    conntrackEntries: Math.round(num(argv, "conntrack-entries", "BENCH_CONNTRACK_ENTRIES", 1_000_000) * scale),
    iptablesRules: Math.round(num(argv, "iptables-rules", "BENCH_IPTABLES_RULES", 50_000) * scale),
    seed: Math.trunc(num(argv, "seed", "BENCH_SEED", 1)),
  };
  return {
    params,
    force: argv.includes("--force"),
    runs: Math.max(1, Math.trunc(num(argv, "runs", "BENCH_RUNS", 3))),
    skipTgz: argv.includes("--skip-tgz"),
  };
}
