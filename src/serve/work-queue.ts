/**
 * A bounded queue of investigations with a fixed number of workers. When it is full, `offer`
 * says so and the HTTP layer answers 429 with Retry-After: memory stays bounded under a burst.
 */
export interface WorkQueue {
  /** false when the queue is full (the caller sheds load). */
  offer(id: string, job: () => Promise<void>): boolean;
  has(id: string): boolean;
  /** Whether a new job would be refused right now. */
  full(): boolean;
  size(): { queued: number; running: number };
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createWorkQueue(options: {
  concurrency: number;
  limit: number;
  onError: (id: string, error: unknown) => void;
}): WorkQueue {
  const queued: Array<{ id: string; job: () => Promise<void> }> = [];
  const running = new Set<string>();
  const waiters: Array<() => void> = [];
  let closed = false;

  const settle = () => {
    if (queued.length === 0 && running.size === 0) for (const w of waiters.splice(0)) w();
  };
  const pump = () => {
    while (!closed && running.size < options.concurrency && queued.length > 0) {
      const next = queued.shift() as { id: string; job: () => Promise<void> };
      running.add(next.id);
      void next
        .job()
        .catch((error: unknown) => options.onError(next.id, error))
        .finally(() => {
          running.delete(next.id);
          pump();
          settle();
        });
    }
  };
  return {
    offer(id, job) {
      if (closed) return false;
      if (running.has(id) || queued.some((q) => q.id === id)) return true;
      if (queued.length >= options.limit) return false;
      queued.push({ id, job });
      pump();
      return true;
    },
    has: (id) => running.has(id) || queued.some((q) => q.id === id),
    full: () => closed || queued.length >= options.limit,
    size: () => ({ queued: queued.length, running: running.size }),
    idle: () =>
      queued.length === 0 && running.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push(resolve)),
    async close() {
      closed = true;
      queued.length = 0;
      settle();
    },
  };
}
