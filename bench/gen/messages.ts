import { BATCH_CHARS, Rng, Sink, Stamp, WeightedPicker, makePods, micros, type PodRef } from "./common.ts";

export interface MessagesOptions {
  path: string;
  targetBytes: number;
  seed: number;
  startMs: number;
  endMs: number;
  /** Short hostname as rsyslog writes it (`ip-10-0-12-34`). */
  hostname: string;
  kubeletPid: number;
  containerdPid: number;
}

type Line = (p: PodRef, rng: Rng, s: Stamp, t: number) => string;

const runcId = (rng: Rng) => rng.k8sSuffix(6).replace(/[a-z]/g, (c) => (rng.chance(0.5) ? c.toUpperCase() : c));

/**
 * `var_log/messages`: rsyslog's traditional format. On an EKS node it is dominated by systemd
 * scope/mount churn from containers starting and probes exec-ing, containerd's logrus lines, the
 * kubelet (copied from the journal), the kernel's veth renames, chronyd and dhclient.
 */
function lines(o: MessagesOptions): ReadonlyArray<readonly [number, Line]> {
  const kubelet = `kubelet[${o.kubeletPid}]: `;
  const containerd = `containerd[${o.containerdPid}]: `;
  return [
    [
      30,
      (p, r) =>
        `systemd[1]: run-containerd-runc-k8s.io-${p.containerId}-runc.${runcId(r)}.mount: Deactivated successfully.`,
    ],
    [8, (p) => `systemd[1]: Started cri-containerd-${p.containerId}.scope - libcontainer container ${p.containerId}.`],
    [6, (p) => `systemd[1]: cri-containerd-${p.containerId}.scope: Deactivated successfully.`],
    [
      4,
      (p, r) => `systemd[1]: cri-containerd-${p.containerId}.scope: Consumed ${(r.next() * 40).toFixed(3)}s CPU time.`,
    ],
    [
      8,
      (p, _r, s, t) =>
        `${containerd}time="${s.isoSecond}.${micros(t, _r)}123Z" level=info msg="StartContainer for \\"${p.containerId}\\" returns successfully"`,
    ],
    [
      5,
      (p, r, s, t) =>
        `${containerd}time="${s.isoSecond}.${micros(t, r)}456Z" level=info msg="shim disconnected" id=${p.containerId} namespace=k8s.io`,
    ],
    [
      4,
      (p, r, s, t) =>
        `${containerd}time="${s.isoSecond}.${micros(t, r)}789Z" level=warning msg="cleaning up after shim disconnected" id=${p.containerId} namespace=k8s.io`,
    ],
    [
      4,
      (p, r, s, t) =>
        `${containerd}time="${s.isoSecond}.${micros(t, r)}012Z" level=info msg="TearDown network for sandbox \\"${p.sandboxId}\\" successfully"`,
    ],
    [
      3,
      (p, r, s, t) =>
        `${containerd}time="${s.isoSecond}.${micros(t, r)}345Z" level=info msg="ImageCreate event name:\\"${p.image}\\" labels:{key:\\"io.cri-containerd.image\\" value:\\"managed\\"}"`,
    ],
    [
      3,
      (p, r, s, t) =>
        `${containerd}time="${s.isoSecond}.${micros(t, r)}678Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{Name:${p.name},Uid:${p.uid},Namespace:${p.ns},Attempt:0,} returns sandbox id \\"${p.sandboxId}\\""`,
    ],
    [
      12,
      (p, r, s, t) =>
        `${kubelet}I${s.klogDate} ${s.hms}.${micros(t, r)}    ${o.kubeletPid} kubelet.go:2542] "SyncLoop (probe)" probe="readiness" status="ready" pod="${p.ns}/${p.name}"`,
    ],
    [
      6,
      (p, r, s, t) =>
        `${kubelet}I${s.klogDate} ${s.hms}.${micros(t, r)}    ${o.kubeletPid} reconciler_common.go:245] "operationExecutor.VerifyControllerAttachedVolume started for volume \\"${p.volume}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-${p.volume}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${p.ns}/${p.name}"`,
    ],
    [3, (p, r) => `kernel: eni${r.hex(11)}: renamed from tmp${r.hex(5)}`],
    [2, (p, r) => `kernel: IPv6: ADDRCONF(NETDEV_CHANGE): eni${r.hex(11)}: link becomes ready`],
    [1, (p, r) => `kernel: pci 0000:00:0${r.range(5, 7)}.0: [1d0f:ec20] type 00 class 0x020000`],
    [0.3, () => `chronyd[1467]: Selected source 169.254.169.123 (169.254.169.123)`],
    [0.05, () => `chronyd[1467]: System clock TAI offset set to 37 seconds`],
    [0.6, (_p, r) => `dhclient[2001]: XMT: Solicit on eth0, interval ${r.range(100000, 130000)}ms.`],
    [0.2, (_p, r) => `dhclient[1950]: DHCPREQUEST on eth0 to 10.0.0.1 port 67 (xid=0x${r.hex(8)})`],
    [0.2, (_p, r) => `dhclient[1950]: DHCPACK from 10.0.0.1 (xid=0x${r.hex(8)})`],
    [0.2, (_p, r) => `dhclient[1950]: bound to 10.0.12.34 -- renewal in ${r.range(1500, 1800)} seconds.`],
    [0.5, () => `systemd[1]: Starting sysstat-collect.service - system activity accounting tool...`],
    [0.5, () => `systemd[1]: sysstat-collect.service: Deactivated successfully.`],
    [0.2, (_p, r) => `systemd-logind[1203]: New session ${r.range(2, 90)} of user ec2-user.`],
  ];
}

export async function writeMessages(o: MessagesOptions): Promise<number> {
  const rng = new Rng(o.seed);
  const pods = makePods(rng, 600);
  const picker = new WeightedPicker(lines(o));
  const stamp = new Stamp();
  const sink = new Sink(o.path);
  const span = o.endMs - o.startMs;
  const host = ` ${o.hostname} `;
  let written = 0;
  try {
    while (written < o.targetBytes) {
      let batch = "";
      while (batch.length < BATCH_CHARS && written + batch.length < o.targetBytes) {
        const t = o.startMs + span * ((written + batch.length) / o.targetBytes);
        stamp.set(t);
        batch += `${stamp.syslog}${host}${picker.pick(rng)(pods[rng.int(pods.length)] as PodRef, rng, stamp, t)}\n`;
      }
      await sink.write(batch);
      written += batch.length;
    }
  } finally {
    await sink.close();
  }
  return sink.bytes;
}
