import { BATCH_CHARS, Rng, Sink } from "./common.ts";

export interface ConntrackOptions {
  path: string;
  entries: number;
  cpus: number;
  seed: number;
  nodeIp: string;
  /** kube-dns ClusterIP and the CoreDNS pod IPs behind it. */
  clusterDns: string;
  dnsEndpoints: readonly string[];
}

/**
 * `networking/conntrack.txt` as the collector writes it: `conntrack -S` (per-CPU counters) then
 * `conntrack -L`, each under a `*** Output of … ***` header, ending with conntrack-tools' summary.
 * Flows: service traffic DNAT-ed to pods (reply source = pod IP), DNS over UDP to kube-dns, node
 * traffic to AWS endpoints, TIME_WAIT churn, a few unreplied SYNs and ICMP.
 */
export async function writeConntrack(o: ConntrackOptions): Promise<number> {
  const rng = new Rng(o.seed);
  const sink = new Sink(o.path);
  const pod = () => `10.0.${rng.range(0, 31)}.${rng.range(2, 254)}`;
  const svc = () => `172.20.${rng.range(0, 255)}.${rng.range(1, 254)}`;
  const ext = () => rng.pick(["52.46", "3.5", "54.239", "18.204"]) + `.${rng.range(0, 255)}.${rng.range(1, 254)}`;
  const ephemeral = () => rng.range(32768, 60999);
  try {
    let head = "*** Output of conntrack -S *** \n";
    for (let cpu = 0; cpu < o.cpus; cpu++) {
      head += `cpu=${String(cpu).padEnd(4, " ")}\tfound=${rng.range(0, 900)} invalid=${rng.range(100, 4000)} insert=0 insert_failed=0 drop=0 early_drop=0 error=${rng.range(0, 20)} search_restart=${rng.range(100, 9000)} \n`;
    }
    head += "*** Output of conntrack -L ***\n";
    await sink.write(head);
    let n = 0;
    while (n < o.entries) {
      let batch = "";
      while (batch.length < BATCH_CHARS && n < o.entries) {
        n += 1;
        const r = rng.next();
        const sport = ephemeral();
        if (r < 0.5) {
          const src = rng.chance(0.3) ? o.nodeIp : pod();
          const dst = svc();
          const backend = pod();
          const dport = rng.pick([80, 443, 8080, 8443, 9090, 5432, 6379]);
          const bport = rng.chance(0.5) ? dport : rng.pick([8080, 8443, 3000, 9090]);
          batch += `tcp      6 ${rng.range(86000, 86400)} ESTABLISHED src=${src} dst=${dst} sport=${sport} dport=${dport} src=${backend} dst=${src} sport=${bport} dport=${sport} [ASSURED] mark=0 use=1\n`;
        } else if (r < 0.62) {
          const src = pod();
          const dst = ext();
          batch += `tcp      6 ${rng.range(86000, 86400)} ESTABLISHED src=${src} dst=${dst} sport=${sport} dport=443 src=${dst} dst=${o.nodeIp} sport=443 dport=${sport} [ASSURED] mark=128 use=1\n`;
        } else if (r < 0.77) {
          const src = pod();
          const dst = pod();
          batch += `tcp      6 ${rng.range(1, 120)} TIME_WAIT src=${src} dst=${dst} sport=${sport} dport=8080 src=${dst} dst=${src} sport=8080 dport=${sport} [ASSURED] mark=0 use=1\n`;
        } else if (r < 0.78) {
          const src = pod();
          const dst = svc();
          batch += `tcp      6 ${rng.range(1, 120)} SYN_SENT src=${src} dst=${dst} sport=${sport} dport=443 [UNREPLIED] src=${dst} dst=${src} sport=443 dport=${sport} mark=0 use=1\n`;
        } else if (r < 0.79) {
          const src = pod();
          const dst = pod();
          batch += `tcp      6 ${rng.range(1, 3600)} CLOSE_WAIT src=${src} dst=${dst} sport=${sport} dport=5432 src=${dst} dst=${src} sport=5432 dport=${sport} [ASSURED] mark=0 use=1\n`;
        } else if (r < 0.97) {
          const src = pod();
          const dns = rng.pick(o.dnsEndpoints);
          const unreplied = rng.chance(0.02);
          batch += unreplied
            ? `udp      17 ${rng.range(1, 30)} src=${src} dst=${o.clusterDns} sport=${sport} dport=53 [UNREPLIED] src=${dns} dst=${src} sport=53 dport=${sport} mark=0 use=1\n`
            : `udp      17 ${rng.range(1, 30)} src=${src} dst=${o.clusterDns} sport=${sport} dport=53 src=${dns} dst=${src} sport=53 dport=${sport} mark=0 use=1\n`;
        } else if (r < 0.99) {
          const dst = rng.pick(["169.254.169.123", "169.254.169.254"]);
          batch += dst.endsWith("123")
            ? `udp      17 ${rng.range(60, 180)} src=${o.nodeIp} dst=${dst} sport=${sport} dport=123 src=${dst} dst=${o.nodeIp} sport=123 dport=${sport} [ASSURED] mark=0 use=1\n`
            : `tcp      6 ${rng.range(1, 120)} TIME_WAIT src=${o.nodeIp} dst=${dst} sport=${sport} dport=80 src=${dst} dst=${o.nodeIp} sport=80 dport=${sport} [ASSURED] mark=0 use=1\n`;
        } else {
          const dst = pod();
          const id = rng.range(1, 65535);
          batch += `icmp     1 ${rng.range(1, 30)} src=${o.nodeIp} dst=${dst} type=8 code=0 id=${id} src=${dst} dst=${o.nodeIp} type=0 code=0 id=${id} mark=0 use=1\n`;
        }
      }
      await sink.write(batch);
    }
    await sink.write(`conntrack v1.4.6 (conntrack-tools): ${o.entries} flow entries have been shown.\n`);
  } finally {
    await sink.close();
  }
  return sink.bytes;
}
