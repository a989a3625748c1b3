// Parent side of the bench's child processes: fork with IPC, wait for `ready`, collect messages, stop in order.
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { BridgeOptions } from '../../src/kafka/bridge';
import type { SagaTopics } from '../../activities';
import type { ChildMessage } from '../processes/child';
import type { CeilingChildOptions } from './ceiling';

export interface WorkerChildOptions {
  taskQueue: string;
  modelName: string;
  topics: SagaTopics;
  /** Extra Worker.create options (tuning experiments); none by default = the product worker's settings. */
  workerOptions?: Record<string, unknown>;
}

export interface BridgeChildOptions {
  topic: string;
  taskQueue: string;
  groupId: string;
  bridgeOptions?: Partial<BridgeOptions>;
  /** Report once this many events were accepted (accept-rate scenario). */
  expectAccepted?: number;
}

/** Worker and bridge in one process on one Temporal connection (processes/combined.ts). */
export interface CombinedChildOptions {
  worker: WorkerChildOptions;
  bridge: BridgeChildOptions;
  /** Starts ask for eager execution (the product's setting); false isolates what sharing the process alone does. */
  eagerStart: boolean;
}

export interface PlainChildOptions {
  mode: 'pipeline' | 'consume' | 'validate';
  topic: string;
  groupId: string;
  modelName: string;
  topics: SagaTopics;
  maxInFlightPerPartition: number;
  /** Report once this many records were handled. */
  expect?: number;
}

export class ChildProcessError extends Error {
  readonly code = 'BENCH_CHILD_FAILED';
}

export class BenchChild {
  private readonly listeners = new Set<(m: ChildMessage) => void>();
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    child.on('message', (m: ChildMessage) => {
      for (const l of [...this.listeners]) l(m);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Every message of `type` until the returned function is called (progress lines of a long measurement). */
  onMessage(type: string, fn: (m: ChildMessage) => void): () => void {
    const listener = (m: ChildMessage) => {
      if (m.type === type) fn(m);
    };
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  send(message: ChildMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  /** The next message of `type`; rejects if the child exits or reports an error first, or on timeout. */
  waitFor(type: string, timeoutMs: number, signal?: AbortSignal): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const listener = (m: ChildMessage) => {
        if (m.type === type) done(() => resolve(m));
        else if (m.type === 'error') done(() => reject(new ChildProcessError(`${this.name}: ${String(m.message)}${this.tail()}`)));
      };
      const onAbort = () => done(() => reject(new Error('interrupted')));
      const timer = setTimeout(() => done(() => reject(new ChildProcessError(`${this.name}: no "${type}" within ${timeoutMs / 1000} s${this.tail()}`))), timeoutMs);
      this.listeners.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.exited.then((code) => done(() => reject(new ChildProcessError(`${this.name} exited (code ${code}) before "${type}"${this.tail()}`))));
    });
  }

  /** Last lines of the child's log, for error messages. */
  tail(lines = 8): string {
    try {
      const text = readFileSync(this.logFile, 'utf8').trim();
      if (!text) return '';
      return `\n  last lines of ${this.logFile}:\n    ${text.split('\n').slice(-lines).join('\n    ')}`;
    } catch {
      return '';
    }
  }

  /** Ordered stop over IPC; SIGTERM, then SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.send({ type: 'stop' });
    const exited = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (exited) return;
    this.child.kill('SIGTERM');
    if (await Promise.race([this.exited.then(() => true), sleep(5_000).then(() => false)])) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/**
 * Forks `bench/processes/<entry>` (the .ts file under tsx, the compiled .js under node) with the given options and
 * environment; resolves once the child reports `ready`.
 */
/** Name of every child started in this run, by pid (the V8 profiles are named by pid). */
export const childNames = new Map<number, string>();

export async function startChild(
  name: string,
  entry: 'worker' | 'bridge' | 'combined' | 'ceiling' | 'plain-consumer',
  options: WorkerChildOptions | BridgeChildOptions | CombinedChildOptions | CeilingChildOptions | PlainChildOptions,
  env: NodeJS.ProcessEnv,
  { logDir, execArgv = [], readyTimeoutMs = 120_000, signal }: { logDir: string; execArgv?: string[]; readyTimeoutMs?: number; signal?: AbortSignal },
): Promise<BenchChild> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const path = join(__dirname, '..', 'processes', `${entry}${extname(__filename)}`);
  const child = fork(path, [], {
    env: { ...env, BENCH_CHILD_OPTIONS: JSON.stringify(options) },
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  const handle = new BenchChild(name, child, logFile);
  if (child.pid !== undefined) childNames.set(child.pid, name);
  try {
    await handle.waitFor('ready', readyTimeoutMs, signal);
  } catch (err) {
    handle.kill();
    throw err;
  }
  return handle;
}
