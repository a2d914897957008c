import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

/** A real terminal: a detached tmux session running one command, read as a person would see it. */
export class TmuxSession {
  readonly name: string;

  constructor(
    name: string,
    command: string[],
    options: { width?: number; height?: number; cwd?: string; env?: Record<string, string> } = {},
  ) {
    this.name = name;
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    execFileSync("tmux", [
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      String(options.width ?? 160),
      "-y",
      String(options.height ?? 50),
      ...(options.cwd ? ["-c", options.cwd] : []),
      ...env,
      ...command,
    ]);
    // Keep the pane after the command exits so its last screen can be read.
    execFileSync("tmux", ["set-option", "-t", name, "remain-on-exit", "on"]);
  }

  screen(): string {
    return execFileSync("tmux", ["capture-pane", "-p", "-t", this.name, "-S", "-200"], { encoding: "utf8" });
  }

  send(...keys: string[]): void {
    execFileSync("tmux", ["send-keys", "-t", this.name, ...keys]);
  }

  /** Waits until the screen matches, polling; returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = this.screen();
      if (pattern.test(last)) return last;
      await sleep(100);
    }
    throw new Error(`tmux ${this.name}: ${pattern} did not appear within ${timeoutMs} ms; screen:\n${last}`);
  }

  kill(): void {
    try {
      execFileSync("tmux", ["kill-session", "-t", this.name]);
    } catch {
      // already gone
    }
  }
}
