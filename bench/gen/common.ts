import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";

/** Text is accumulated into batches of about this many characters before each write. */
export const BATCH_CHARS = 1 << 20;

/**
 * A fast seeded PRNG (sfc32 seeded by splitmix32). The bench bundle must be the same bytes for the
 * same arguments, and must not cost more to generate than necessary.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  hex(length: number): string {
    let out = "";
    while (out.length < length) out += this.u32().toString(16).padStart(8, "0");
    return out.slice(0, length);
  }

  /** Kubernetes' generated-name alphabet (no vowels, no 0/1/3). */
  k8sSuffix(length: number): string {
    const alphabet = "bcdfghjklmnpqrstvwxz2456789";
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(["8", "9", "a", "b"])}${this.hex(3)}-${this.hex(12)}`;
  }
}

/**
 * Picks one of several weighted choices in O(1): a 1024-slot table maps a random slot to an index.
 */
export class WeightedPicker<T> {
  private readonly slots: T[];

  constructor(choices: ReadonlyArray<readonly [number, T]>) {
    const total = choices.reduce((sum, [w]) => sum + w, 0);
    this.slots = [];
    let acc = 0;
    for (const [weight, value] of choices) {
      acc += weight;
      const until = Math.round((acc / total) * 4096);
      while (this.slots.length < until) this.slots.push(value);
    }
  }

  pick(rng: Rng): T {
    return this.slots[rng.int(this.slots.length)] as T;
  }
}

/**
 * A file written in batches through an fs stream, waiting for `drain` whenever the stream's buffer
 * is full: memory stays bounded whatever the file size.
 */
export class Sink {
  readonly path: string;
  bytes = 0;
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.path = path;
    this.stream = createWriteStream(path, { highWaterMark: 1 << 20 });
  }

  /** Writes ASCII text; resolves once the stream can take more. */
  async write(text: string): Promise<void> {
    if (text.length === 0) return;
    const data = Buffer.from(text, "latin1");
    this.bytes += data.length;
    if (!this.stream.write(data)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/**
 * The pieces of a timestamp that log lines need, recomputed only when the second changes
 * (formatting a Date per line would dominate generation time).
 */
export class Stamp {
  second = Number.NaN;
  /** `Nov 24 10:01:02` (journalctl short: zero-padded day). */
  journal = "";
  /** `Nov 24 10:01:02` with a space-padded day (rsyslog traditional format). */
  syslog = "";
  /** klog `MMDD`. */
  klogDate = "";
  /** `10:01:02`. */
  hms = "";
  /** `2026-11-24T10:01:02`. */
  isoSecond = "";

  set(ms: number): void {
    const second = Math.floor(ms / 1000);
    if (second === this.second) return;
    this.second = second;
    const d = new Date(second * 1000);
    const month = MONTHS[d.getUTCMonth()] as string;
    const day = d.getUTCDate();
    this.hms = `${PAD2[d.getUTCHours()]}:${PAD2[d.getUTCMinutes()]}:${PAD2[d.getUTCSeconds()]}`;
    this.journal = `${month} ${PAD2[day]} ${this.hms}`;
    this.syslog = `${month} ${day < 10 ? ` ${day}` : String(day)} ${this.hms}`;
    this.klogDate = `${PAD2[d.getUTCMonth() + 1]}${PAD2[day]}`;
    this.isoSecond = `${d.getUTCFullYear()}-${PAD2[d.getUTCMonth() + 1]}-${PAD2[day]}T${this.hms}`;
  }
}

/** Microseconds within the second of `ms`, six digits, with sub-millisecond noise. */
export function micros(ms: number, rng: Rng): string {
  const within = Math.floor(ms) % 1000;
  return String(within * 1000 + rng.int(1000)).padStart(6, "0");
}

/** `Mon Nov 24 10:01:02 2026` (ctime, as `dmesg --ctime` and iptables-save print it). */
export function ctime(ms: number): string {
  const d = new Date(ms);
  const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()] as string;
  return `${wd} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${PAD2[d.getUTCHours()]}:${PAD2[d.getUTCMinutes()]}:${PAD2[d.getUTCSeconds()]} ${d.getUTCFullYear()}`;
}

/** A workload pod the generators mention (names, uid and ids stay stable across lines). */
export interface PodRef {
  ns: string;
  name: string;
  uid: string;
  container: string;
  containerId: string;
  sandboxId: string;
  image: string;
  ip: string;
  volume: string;
}

const APPS: ReadonlyArray<readonly [string, string, string]> = [
  ["default", "web", "public.ecr.aws/nginx/nginx:1.27"],
  ["default", "api", "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v4.12.0"],
  ["payments", "payments-api", "123456789012.dkr.ecr.us-east-1.amazonaws.com/payments-api:v2.3.8"],
  ["payments", "ledger-worker", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger-worker:v1.9.2"],
  ["checkout", "cart", "123456789012.dkr.ecr.us-east-1.amazonaws.com/cart:2024.11.3"],
  ["checkout", "checkout-frontend", "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout-frontend:7.1.0"],
  ["monitoring", "prometheus-node-exporter", "quay.io/prometheus/node-exporter:v1.8.2"],
  ["monitoring", "kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0"],
  ["batch", "report-job", "123456789012.dkr.ecr.us-east-1.amazonaws.com/report-job:v0.8.1"],
  ["search", "indexer", "123456789012.dkr.ecr.us-east-1.amazonaws.com/indexer:3.2.1"],
  ["kube-system", "coredns", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.2"],
  ["kube-system", "aws-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.0-eksbuild.1"],
  [
    "kube-system",
    "kube-proxy",
    "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.31.2-minimal-eksbuild.3",
  ],
  ["kube-system", "ebs-csi-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/aws-ebs-csi-driver:v1.37.0"],
];

/** A deterministic pool of pods for log lines. */
export function makePods(rng: Rng, count: number): PodRef[] {
  const pods: PodRef[] = [];
  for (let i = 0; i < count; i++) {
    const [ns, app, image] = APPS[i % APPS.length] as readonly [string, string, string];
    const daemon = ns === "kube-system" && app !== "coredns";
    const name = daemon
      ? `${app}-${rng.k8sSuffix(5)}`
      : `${app}-${rng.hex(9).replace(/[013aeiou]/g, "7")}-${rng.k8sSuffix(5)}`;
    pods.push({
      ns,
      name,
      uid: rng.uuid(),
      container: app.split("-")[0] as string,
      containerId: rng.hex(64),
      sandboxId: rng.hex(64),
      image,
      ip: `10.0.${rng.range(0, 31)}.${rng.range(2, 254)}`,
      volume: `kube-api-access-${rng.k8sSuffix(5)}`,
    });
  }
  return pods;
}

export const MiB = 1024 * 1024;
