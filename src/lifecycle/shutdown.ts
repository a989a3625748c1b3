import type { Logger } from '../observability/logger';

/**
 * Told when a component fails after it started (a worker crashed, the Kafka consumer stopped for good): the process
 * can no longer do its job, so the shell ends it rather than leave it running half alive.
 */
export type OnFatal = (component: string, err: unknown) => void;

interface Step {
  name: string;
  run: () => Promise<void>;
  timeoutMs: number;
}

/**
 * One ordered shutdown for a process: steps run in the order they were added (stop consuming → drain in-flight
 * → commit → worker shutdown → close producer and pool), each bounded by a timeout so a hung step cannot keep
 * the process alive. SIGINT and SIGTERM both lead here; a second signal exits at once.
 */
export class ShutdownSequence {
  private readonly steps: Step[] = [];
  private running?: Promise<void>;

  constructor(private readonly logger: Logger) {}

  add(name: string, run: () => Promise<void>, timeoutMs = 30_000): this {
    this.steps.push({ name, run, timeoutMs });
    return this;
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Runs the steps once; later calls wait for the same run. A failing step is logged and the next one runs. */
  run(reason: string): Promise<void> {
    this.running ??= (async () => {
      this.logger.info({ reason, steps: this.steps.map((s) => s.name) }, 'shutting down');
      for (const step of this.steps) {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            step.run(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${step.timeoutMs} ms`)), step.timeoutMs);
            }),
          ]);
          this.logger.info({ step: step.name, ms: Date.now() - started }, 'shutdown step done');
        } catch (err) {
          this.logger.error({ step: step.name, err }, 'shutdown step failed');
        } finally {
          clearTimeout(timer);
        }
      }
      this.logger.info('shutdown complete');
    })();
    return this.running;
  }

  /** SIGINT/SIGTERM → run → exit(0). Returns a function that removes the handlers (tests). */
  exitOnSignals(exit: (code: number) => void = (code) => process.exit(code)): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.started) {
        this.logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
        exit(130);
        return;
      }
      void this.run(signal).then(() => exit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }
}
