import { BATCH_CHARS, Rng, Sink, Stamp, WeightedPicker, makePods, type PodRef } from "./common.ts";

export interface JournalOptions {
  path: string;
  targetBytes: number;
  seed: number;
  /** First line (just after boot) and last line, in ms. */
  startMs: number;
  endMs: number;
  nodeName: string;
  pid: number;
  kubeletVersion: string;
  clusterEndpoint: string;
  /** A private IP the cluster endpoint resolves to. */
  apiServerIp: string;
}

type Body = (p: PodRef, rng: Rng, t: number) => string;

/** `2026-11-23 03:12:44.410349812 +0000 UTC` as Go prints a time.Time. */
const goTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 23).replace("T", " ")}349812 +0000 UTC`;

/** Benign INFO bodies (`file.go:line] "msg" key="value"`), weighted like a busy node at --v=2. */
const INFO: ReadonlyArray<readonly [number, Body]> = [
  [18, (p) => `kubelet.go:2542] "SyncLoop (probe)" probe="readiness" status="ready" pod="${p.ns}/${p.name}"`],
  [6, (p) => `kubelet.go:2542] "SyncLoop (probe)" probe="liveness" status="" pod="${p.ns}/${p.name}"`],
  [
    10,
    (p, r) =>
      `kubelet.go:2473] "SyncLoop (PLEG): event for pod" pod="${p.ns}/${p.name}" event={"ID":"${p.uid}","Type":"${r.chance(0.6) ? "ContainerStarted" : "ContainerDied"}","Data":"${p.containerId}"}`,
  ],
  [
    8,
    (p) =>
      `reconciler_common.go:245] "operationExecutor.VerifyControllerAttachedVolume started for volume \\"${p.volume}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-${p.volume}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${p.ns}/${p.name}"`,
  ],
  [
    6,
    (p) =>
      `reconciler_common.go:218] "operationExecutor.MountVolume started for volume \\"config\\" (UniqueName: \\"kubernetes.io/configmap/${p.uid}-config\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${p.ns}/${p.name}"`,
  ],
  [
    6,
    (p) =>
      `operation_generator.go:637] "MountVolume.SetUp succeeded for volume \\"${p.volume}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-${p.volume}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${p.ns}/${p.name}"`,
  ],
  [
    3,
    (p) =>
      `reconciler_common.go:161] "operationExecutor.UnmountVolume started for volume \\"${p.volume}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-${p.volume}\\") pod \\"${p.uid}\\" (UID: \\"${p.uid}\\") "`,
  ],
  [
    3,
    (p) =>
      `operation_generator.go:803] UnmountVolume.TearDown succeeded for volume "kubernetes.io/projected/${p.uid}-${p.volume}" (OuterVolumeSpecName: "${p.volume}") pod "${p.uid}" (UID: "${p.uid}"). InnerVolumeSpecName "${p.volume}". PluginName "kubernetes.io/projected", VolumeGidValue ""`,
  ],
  [
    2,
    (p) =>
      `reconciler_common.go:289] "Volume detached for volume \\"${p.volume}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-${p.volume}\\") on node \\"NODE\\" DevicePath \\"\\""`,
  ],
  [
    3,
    (p, r) =>
      `kubelet.go:${r.pick(['2407] "SyncLoop ADD"', '2423] "SyncLoop UPDATE"', '2429] "SyncLoop DELETE"', '2416] "SyncLoop REMOVE"'])} source="api" pods=["${p.ns}/${p.name}"]`,
  ],
  [
    2,
    (p, r) =>
      `pod_startup_latency_tracker.go:104] "Observed pod startup duration" pod="${p.ns}/${p.name}" podStartSLOduration=${(1 + r.next() * 4).toFixed(9)} podStartE2EDuration="${(1.5 + r.next() * 6).toFixed(9)}s" podCreationTimestamp="2026-11-22 08:14:03 +0000 UTC" firstStartedPulling="0001-01-01 00:00:00 +0000 UTC" lastFinishedPulling="0001-01-01 00:00:00 +0000 UTC" observedRunningTime="2026-11-22 08:14:05.310541866 +0000 UTC m=+78503.148230193" watchObservedRunningTime="2026-11-22 08:14:06.000287512 +0000 UTC m=+78503.837975839"`,
  ],
  [2, (p) => `util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="${p.ns}/${p.name}"`],
  [
    2,
    (p) =>
      `kuberuntime_container.go:809] "Killing container with a grace period" pod="${p.ns}/${p.name}" podUID="${p.uid}" containerName="${p.container}" containerID="containerd://${p.containerId}" gracePeriod=30`,
  ],
  [
    2,
    (p, r) =>
      `generic.go:334] "Generic (PLEG): container finished" podID="${p.uid}" containerID="${p.containerId}" exitCode=${r.chance(0.9) ? 0 : 143}`,
  ],
  [2, (p) => `scope.go:117] "RemoveContainer" containerID="${p.containerId}"`],
  [
    1,
    (p) =>
      `cpu_manager.go:395] "RemoveStaleState: removing container" podUID="${p.uid}" containerName="${p.container}"`,
  ],
  [
    1,
    (p) => `memory_manager.go:354] "RemoveStaleState removing state" podUID="${p.uid}" containerName="${p.container}"`,
  ],
  [
    1,
    (p) =>
      `kubelet_pods.go:1003] "Unable to retrieve pull secret, the image pull may not succeed." pod="${p.ns}/${p.name}" secret="" err="secret \\"regcred\\" not found"`,
  ],
  [
    1,
    (_p, r) =>
      `log.go:245] http: TLS handshake error from 10.0.${r.range(0, 31)}.${r.range(2, 254)}:${r.range(32768, 60999)}: EOF`,
  ],
  [1, (p) => `kubelet_getters.go:218] "Pod status updated" pod="${p.ns}/${p.name}" status="Running"`],
  [
    0.5,
    () =>
      `image_gc_manager.go:391] "Disk usage on image filesystem is below the low threshold, skipping image GC" usage=41 lowThreshold=80`,
  ],
  [0.5, () => `container_gc.go:88] "Attempting to delete unused containers"`],
];

const WARN: ReadonlyArray<readonly [number, Body]> = [
  [
    3,
    (p) =>
      `watcher.go:93] Error while processing event ("/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${p.uid.replace(/-/g, "_")}.slice": 0x40000100 == IN_CREATE|IN_ISDIR): inotify_add_watch /sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${p.uid.replace(/-/g, "_")}.slice: no such file or directory`,
  ],
  [
    2,
    (p) =>
      `manager.go:1169] Failed to process watch event {EventType:0 Name:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${p.uid.replace(/-/g, "_")}.slice/cri-containerd-${p.containerId}.scope WatchSource:0}: task ${p.containerId} not found: not found`,
  ],
  [
    1,
    (p) =>
      `reflector.go:561] object-"${p.ns}"/"${p.container}-secrets": failed to list *v1.Secret: secrets "${p.container}-secrets" is forbidden: User "system:node:NODE" cannot list resource "secrets" in API group "" in the namespace "${p.ns}": no relationship found between node 'NODE' and this object`,
  ],
  [
    1,
    () =>
      `file.go:104] "Unable to read config path" err="path does not exist, ignoring" path="/etc/kubernetes/manifests"`,
  ],
  [
    1,
    (p) =>
      `prober.go:104] "Probe errored" err="rpc error: code = NotFound desc = failed to exec in container: container is in CONTAINER_EXITED state" probeType="Readiness" pod="${p.ns}/${p.name}" podUID="${p.uid}" containerName="${p.container}"`,
  ],
  [
    0.5,
    (p) =>
      `empty_dir.go:556] Warning: Unmount skipped because path does not exist: /var/lib/kubelet/pods/${p.uid}/volumes/kubernetes.io~empty-dir/tmp`,
  ],
];

const ERROR: ReadonlyArray<readonly [number, Body]> = [
  [
    3,
    (p) =>
      `pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"${p.container}\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=${p.container} pod=${p.name}_${p.ns}(${p.uid})\\"" pod="${p.ns}/${p.name}" podUID="${p.uid}"`,
  ],
  [
    2,
    (p) =>
      `remote_runtime.go:432] "ContainerStatus from runtime service failed" err="rpc error: code = NotFound desc = an error occurred when try to find container \\"${p.containerId}\\": not found" containerID="${p.containerId}"`,
  ],
  [
    1,
    (p) =>
      `cadvisor_stats_provider.go:522] "Partial failure issuing cadvisor.ContainerInfoV2" err="partial failures: [\\"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${p.uid.replace(/-/g, "_")}.slice/cri-containerd-${p.containerId}.scope\\": RecentStats: unable to find data in memory cache]"`,
  ],
  [
    1,
    (p) =>
      `kuberuntime_container.go:740] "ExecSync cmd from runtime service failed" err="rpc error: code = NotFound desc = failed to exec in container: failed to load task: no running task found: task ${p.containerId} not found: not found" containerID="${p.containerId}" cmd=["/bin/grpc_health_probe","-addr=:8080"]`,
  ],
  [
    0.5,
    (p) =>
      `kubelet_volumes.go:263] "There were many similar errors. Turn up verbosity to see them." err="orphaned pod \\"${p.uid}\\" found, but error occurred when trying to remove the volumes dir: not a directory" numErrs=2`,
  ],
];

/** Sprinkled everywhere: a failing readiness probe now and then, a container killed by its own memory limit. */
const PROBE_FAILED: Body = (p) =>
  `prober.go:107] "Probe failed" probeType="Readiness" pod="${p.ns}/${p.name}" podUID="${p.uid}" containerName="${p.container}" probeResult="failure" output="Get \\"http://${p.ip}:8080/healthz\\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"`;
const OOM_KILLED: Body = (p) =>
  `kubelet.go:2473] "SyncLoop (PLEG): event for pod" pod="${p.ns}/${p.name}" event={"ID":"${p.uid}","Type":"ContainerDied","Data":"${p.containerId}"} reason="OOMKilled" exitCode=137`;

interface Scheduled {
  /** Fraction of the timeline at which the line appears. */
  at: number;
  level: "I" | "W" | "E";
  body: Body;
  /** A systemd line of the kubelet unit rather than a klog line. */
  systemd?: boolean;
  /** Part of the boot sequence: written before any other line. */
  boot?: boolean;
}

/**
 * Episodes with real signals at fixed points of the timeline: NetworkPluginNotReady and registration
 * retries at boot, an x509 burst, two PLEG episodes, image pull failures, a volume mount failure.
 */
function schedule(opts: JournalOptions, rng: Rng, pods: PodRef[]): Scheduled[] {
  const out: Scheduled[] = [];
  const node = opts.nodeName;
  const ep = opts.clusterEndpoint;
  const boot = (i: number) => (i * 40) / (opts.endMs - opts.startMs);
  let i = 0;
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    systemd: true,
    body: () => `Starting kubelet.service - Kubernetes Kubelet...`,
  });
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    systemd: true,
    body: () => `Started kubelet.service - Kubernetes Kubelet.`,
  });
  for (const flag of [
    '--address="0.0.0.0"',
    '--cloud-provider="external"',
    '--config="/etc/kubernetes/kubelet/config.json"',
    '--container-runtime-endpoint="unix:///run/containerd/containerd.sock"',
    `--hostname-override="${node}"`,
    '--image-credential-provider-bin-dir="/etc/eks/image-credential-provider"',
    '--kubeconfig="/var/lib/kubelet/kubeconfig"',
    '--node-ip="10.0.12.34"',
    '--node-labels="eks.amazonaws.com/nodegroup=general,eks.amazonaws.com/capacityType=ON_DEMAND"',
    '--v="2"',
  ]) {
    out.push({ at: boot(i++), boot: true, level: "I", body: () => `flags.go:64] FLAG: ${flag}` });
  }
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    body: () => `server.go:486] "Kubelet version" kubeletVersion="${opts.kubeletVersion}"`,
  });
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    body: () => `server.go:488] "Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""`,
  });
  for (let k = 0; k < 6; k++) {
    out.push({
      at: boot(i++),
      boot: true,
      level: "E",
      body: () =>
        `kubelet.go:3002] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"`,
    });
    out.push({
      at: boot(i++),
      boot: true,
      level: "E",
      body: () =>
        `kubelet_node_status.go:95] "Unable to register node with API server" err="Post \\"${ep}/api/v1/nodes\\": dial tcp ${opts.apiServerIp}:443: connect: connection refused" node="${node}"`,
    });
  }
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    body: () => `kubelet_node_status.go:76] "Attempting to register node" node="${node}"`,
  });
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    body: () => `kubelet_node_status.go:79] "Successfully registered node" node="${node}"`,
  });
  out.push({
    at: boot(i++),
    boot: true,
    level: "I",
    body: () => `kubelet_node_status.go:488] "Fast updating node status as it just became ready"`,
  });

  // x509 burst at 30 %: a proxy in front of the API server presented its own certificate for a minute.
  for (let k = 0; k < 12; k++) {
    out.push({
      at: 0.3 + k * 0.00002,
      level: "E",
      body: () =>
        `reflector.go:158] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Service: failed to list *v1.Service: Get \\"${ep}/api/v1/services?limit=500&resourceVersion=0\\": tls: failed to verify certificate: x509: certificate signed by unknown authority" logger="UnhandledError"`,
    });
  }
  // PLEG episodes at 45 % and 80 %.
  for (const start of [0.45, 0.8]) {
    for (let k = 0; k < 8; k++) {
      const gap = `${3 + Math.floor(k / 3)}m${(rng.next() * 59).toFixed(9)}s`;
      out.push({
        at: start + k * 0.00001,
        level: "I",
        body: () =>
          `kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active ${gap} ago; threshold is 3m0s"`,
      });
    }
    out.push({
      at: start + 0.00004,
      level: "I",
      body: (_p, _r, t) =>
        `setters.go:602] "Node became not ready" node="${node}" condition={"type":"Ready","status":"False","lastHeartbeatTime":"${new Date(t).toISOString().slice(0, 19)}Z","lastTransitionTime":"${new Date(t).toISOString().slice(0, 19)}Z","reason":"KubeletNotReady","message":"PLEG is not healthy: pleg was last seen active 3m4.215839s ago; threshold is 3m0s"}`,
    });
  }
  // Image pull failures at 60 %: a tag that does not exist.
  const bad = pods.find((p) => p.ns === "payments") ?? (pods[0] as PodRef);
  const image = bad.image.replace(/:[^:]+$/, ":v2.3.9");
  for (let k = 0; k < 40; k++) {
    const at = 0.6 + k * 0.00005;
    out.push({
      at,
      level: "E",
      body: () =>
        `remote_image.go:180] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"${image}\\": failed to resolve reference \\"${image}\\": ${image}: not found" image="${image}"`,
    });
    out.push({
      at,
      level: "E",
      body: () =>
        `kuberuntime_image.go:55] "Failed to pull image" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"${image}\\": failed to resolve reference \\"${image}\\": ${image}: not found" image="${image}"`,
    });
    out.push({
      at,
      level: "E",
      body: () =>
        `pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"${bad.container}\\" with ImagePullBackOff: \\"Back-off pulling image \\\\\\"${image}\\\\\\"\\"" pod="${bad.ns}/${bad.name}" podUID="${bad.uid}"`,
    });
  }
  // A configmap that was deleted under a running deployment at 70 %.
  const vol = pods[3] as PodRef;
  for (let k = 0; k < 10; k++) {
    out.push({
      at: 0.7 + k * 0.00003,
      level: "E",
      body: (_p, _r, t) =>
        `nestedpendingoperations.go:348] Operation for "{volumeName:kubernetes.io/configmap/${vol.uid}-config podName:${vol.uid} nodeName:}" failed. No retries permitted until ${goTime(t + 122_000)} m=+${((t + 122_000 - opts.startMs) / 1000).toFixed(9)} (durationBeforeRetry 2m2s). Error: MountVolume.SetUp failed for volume "config" (UniqueName: "kubernetes.io/configmap/${vol.uid}-config") pod "${vol.name}" (UID: "${vol.uid}") : configmap "${vol.container}-config" not found`,
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * `kubelet/kubelet.log`: `journalctl --unit=kubelet` in short format wrapping klog lines, from boot
 * to collection, about `targetBytes` long, streamed in batches.
 */
export async function writeKubeletJournal(opts: JournalOptions): Promise<number> {
  const rng = new Rng(opts.seed);
  const pods = makePods(rng, 1500);
  const info = new WeightedPicker(INFO);
  const warn = new WeightedPicker(WARN);
  const error = new WeightedPicker(ERROR);
  const episodes = schedule(opts, rng, pods);
  const stamp = new Stamp();
  const sink = new Sink(opts.path);
  const span = opts.endMs - opts.startMs;
  const host = `${opts.nodeName} kubelet[${opts.pid}]: `;
  const systemdHost = `${opts.nodeName} systemd[1]: `;
  const pidCol = ` ${String(opts.pid).padStart(7, " ")} `;
  const node = opts.nodeName;
  let next = 0;
  let written = 0;

  // klog microseconds only ever increase, a few dozen microseconds apart within a burst.
  let lastMicro = 0;
  const klog = (t: number, level: string, body: string) => {
    const u = Math.max(Math.floor(t * 1000), lastMicro + 1 + rng.int(60));
    lastMicro = u;
    stamp.set(u / 1000);
    const text = body.includes("NODE") ? body.replaceAll("NODE", node) : body;
    return `${stamp.journal} ${host}${level}${stamp.klogDate} ${stamp.hms}.${String(u % 1_000_000).padStart(6, "0")}${pidCol}${text}\n`;
  };

  try {
    while (written < opts.targetBytes) {
      let batch = "";
      while (batch.length < BATCH_CHARS && written + batch.length < opts.targetBytes) {
        const fraction = (written + batch.length) / opts.targetBytes;
        const t = opts.startMs + span * fraction;
        while (
          next < episodes.length &&
          ((episodes[next] as Scheduled).at <= fraction || (episodes[next] as Scheduled).boot)
        ) {
          const e = episodes[next++] as Scheduled;
          const p = rng.pick(pods);
          if (e.systemd) {
            stamp.set(Math.max(t, lastMicro / 1000));
            batch += `${stamp.journal} ${systemdHost}${e.body(p, rng, t)}\n`;
          } else batch += klog(t, e.level, e.body(p, rng, t));
        }
        const p = pods[rng.int(pods.length)] as PodRef;
        const r = rng.next();
        if (r < 0.00002) batch += klog(t, "I", OOM_KILLED(p, rng, t));
        else if (r < 0.003) batch += klog(t, "I", PROBE_FAILED(p, rng, t));
        else if (r < 0.028) batch += klog(t, "E", error.pick(rng)(p, rng, t));
        else if (r < 0.1) batch += klog(t, "W", warn.pick(rng)(p, rng, t));
        else batch += klog(t, "I", info.pick(rng)(p, rng, t));
      }
      await sink.write(batch);
      written += batch.length;
    }
  } finally {
    await sink.close();
  }
  return sink.bytes;
}
