import { LANE_NAMES, type LaneName } from "../domain/lane.ts";
import type { ProgressEvent } from "../domain/investigation-events.ts";

interface LaneState {
  done: number;
  running: number;
  findings: number;
  loud: number;
  finished?: string;
}

/**
 * Progress while lanes run: on a TTY, one line per lane redrawn in place (calls done/running,
 * elapsed, findings so far); otherwise plain lines as lanes finish. Writes to stderr only.
 */
export function createLiveView(stream: NodeJS.WriteStream, options: { tty: boolean; now?: () => number }) {
  const now = options.now ?? (() => Date.now());
  const started = now();
  const lanes = new Map<LaneName, LaneState>(LANE_NAMES.map((l) => [l, { done: 0, running: 0, findings: 0, loud: 0 }]));
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;

  const line = (lane: LaneName, s: LaneState) => {
    const elapsed = ((now() - started) / 1000).toFixed(1);
    const status = s.finished ?? (s.running > 0 ? "running" : "waiting");
    return `  ${lane.padEnd(8)} ${status.padEnd(9)} ${String(s.done).padStart(3)} done ${String(s.running).padStart(2)} running  ${String(s.findings).padStart(3)} findings (${s.loud} above info)  ${elapsed}s`;
  };
  const draw = () => {
    if (!options.tty) return;
    const lines = ["fathom: investigating…", ...LANE_NAMES.map((l) => line(l, lanes.get(l) as LaneState))];
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const l of lines) out += `\x1b[2K${l}\n`;
    stream.write(out);
    drawn = lines.length;
  };
  if (options.tty) timer = setInterval(draw, 200);

  return {
    onProgress(event: ProgressEvent) {
      if (event.type === "call-start") (lanes.get(event.lane) as LaneState).running += 1;
      else if (event.type === "call-end") {
        const s = lanes.get(event.lane) as LaneState;
        s.running = Math.max(0, s.running - 1);
        s.done += 1;
        s.findings += event.record.report?.findings.length ?? 0;
        s.loud += event.record.report?.findings.filter((f) => f.severity !== "info").length ?? 0;
        if (!options.tty && (event.record.status === "failed" || event.record.status === "timed-out"))
          stream.write(
            `fathom: ${event.lane}: ${event.tool} on ${event.node} ${event.record.status}: ${event.record.error ?? ""}\n`,
          );
      } else if (event.type === "lane-done") {
        const s = lanes.get(event.lane) as LaneState;
        s.finished = event.result.status;
        if (!options.tty)
          stream.write(
            `fathom: ${event.lane} lane ${event.result.status}: ${event.result.calls.length} tool calls, ${s.findings} findings (${s.loud} above info) in ${Math.round(event.result.durationMs)} ms\n`,
          );
      }
      draw();
    },
    stop() {
      if (timer) clearInterval(timer);
      draw();
    },
  };
}
