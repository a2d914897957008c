/** Prometheus text for `GET /metrics`: what the receivers took in, and what became of it. */
export interface ServeMetrics {
  received(receiver: string): void;
  rejected(receiver: string, reason: string): void;
  deduplicated(receiver: string): void;
  shed(): void;
  investigationFinished(state: string, durationMs: number): void;
  render(states: Record<string, number>, queue: { queued: number; running: number }): string;
}

export function createServeMetrics(): ServeMetrics {
  const received = new Map<string, number>();
  const rejected = new Map<string, number>();
  const deduplicated = new Map<string, number>();
  const finished = new Map<string, number>();
  let shedCount = 0;
  let durationSum = 0;
  let durationCount = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const label = (v: string) => v.replace(/["\\\n]/g, "_");
  const lines = (name: string, help: string, type: string, rows: Array<[string, number]>) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...rows.map(([labels, value]) => `${name}${labels} ${value}`),
  ];
  return {
    received: (receiver) => bump(received, receiver),
    rejected: (receiver, reason) => bump(rejected, `${receiver}\u0000${reason}`),
    deduplicated: (receiver) => bump(deduplicated, receiver),
    shed: () => {
      shedCount += 1;
    },
    investigationFinished(state, durationMs) {
      bump(finished, state);
      durationSum += durationMs / 1000;
      durationCount += 1;
    },
    render(states, queue) {
      return `${[
        ...lines(
          "fathom_alarms_received_total",
          "Alarm notifications accepted, by receiver.",
          "counter",
          [...received].map(([r, n]) => [`{receiver="${label(r)}"}`, n]),
        ),
        ...lines(
          "fathom_alarms_rejected_total",
          "Requests refused, by receiver and reason.",
          "counter",
          [...rejected].map(([k, n]) => {
            const [r, why] = k.split("\u0000");
            return [`{receiver="${label(r ?? "")}",reason="${label(why ?? "")}"}`, n];
          }),
        ),
        ...lines(
          "fathom_alarms_deduplicated_total",
          "Alarms that joined an existing incident.",
          "counter",
          [...deduplicated].map(([r, n]) => [`{receiver="${label(r)}"}`, n]),
        ),
        ...lines("fathom_requests_shed_total", "Requests answered 429 because the queue was full.", "counter", [
          ["", shedCount],
        ]),
        ...lines(
          "fathom_investigations",
          "Stored investigations by state.",
          "gauge",
          Object.entries(states).map(([s, n]) => [`{state="${label(s)}"}`, n]),
        ),
        ...lines(
          "fathom_investigations_finished_total",
          "Investigations this process finished, by final state.",
          "counter",
          [...finished].map(([s, n]) => [`{state="${label(s)}"}`, n]),
        ),
        ...lines(
          "fathom_investigation_duration_seconds",
          "Time from start to report of finished investigations.",
          "summary",
          [
            ["_sum", durationSum],
            ["_count", durationCount],
          ],
        ),
        ...lines("fathom_queue", "Investigations queued and running.", "gauge", [
          [`{state="queued"}`, queue.queued],
          [`{state="running"}`, queue.running],
        ]),
      ].join("\n")}\n`;
    },
  };
}
