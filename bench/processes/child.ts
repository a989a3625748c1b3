// Shared scaffolding of the bench's child processes (worker, bridge, plain consumer). Each runs in its own Node
// process so its CPU and memory are measured on their own. Options arrive in BENCH_CHILD_OPTIONS (JSON); the child
// answers over the IPC channel: {type: 'ready'} once serving, {type: 'error'} if it cannot start. It stops in order
// on {type: 'stop'}, SIGINT/SIGTERM, or when the harness goes away (IPC disconnect), then exits.

export type ChildMessage = { type: string; [key: string]: unknown };

export function childOptions<T>(): T {
  const raw = process.env.BENCH_CHILD_OPTIONS;
  if (!raw) throw new Error('BENCH_CHILD_OPTIONS is not set: this file is started by the bench harness');
  return JSON.parse(raw) as T;
}

export function send(message: ChildMessage): void {
  if (process.send && process.connected) process.send(message);
}

/**
 * Runs `start`; the function it returns is the ordered shutdown. `onMessage` receives the harness's commands other
 * than stop.
 */
export function childMain(start: () => Promise<{ stop: () => Promise<void>; onMessage?: (m: ChildMessage) => void }>): void {
  let stopping: Promise<void> | undefined;
  let stopFn: (() => Promise<void>) | undefined;
  const shutdown = (why: string) => {
    if (stopping) return stopping;
    stopping = (async () => {
      try {
        await stopFn?.();
      } catch (err) {
        process.stderr.write(`shutdown after ${why} failed: ${(err as Error).stack ?? String(err)}\n`);
      }
      process.exit(0);
    })();
    return stopping;
  };
  const timer = (why: string) => {
    void shutdown(why);
    // A hung shutdown must not keep the process alive.
    setTimeout(() => process.exit(1), 30_000).unref();
  };
  process.on('SIGINT', () => timer('SIGINT'));
  process.on('SIGTERM', () => timer('SIGTERM'));
  process.on('disconnect', () => timer('harness gone'));
  start().then(
    ({ stop, onMessage }) => {
      stopFn = stop;
      process.on('message', (m: ChildMessage) => {
        if (m.type === 'stop') timer('stop requested');
        else onMessage?.(m);
      });
      send({ type: 'ready', pid: process.pid });
    },
    (err: unknown) => {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      setTimeout(() => process.exit(1), 100);
    },
  );
}
