// One worker thread for the learning activities' CPU-bound work. The learning worker shares its process and event
// loop with the payment sagas: reading a training set, a fit or a drift check run inline block every saga for their
// whole duration, here they only take a core. One thread is enough: the learning worker runs one activity at a time.
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ComputeRequest, ComputeResponse, ComputeThreadData } from './compute-thread';
import type { DriftReport } from './drift';
import {
  ComputeError,
  deserializeError,
  type ComputeTask,
  type ComputeTaskOptions,
  type ComputeTaskResults,
  type DetectDriftInput,
  type EvaluateScoresInput,
  type FitChallengerInput,
  type FitChallengerResult,
  type LearningCompute,
  type ProgressListener,
} from './learning-compute';
import type { ModelMetrics } from './metrics';
import type { DriftWindow, DriftWindowInput, TrainingSet, TrainingSetInput } from './training-data';

interface PendingTask {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  onProgress?: ProgressListener;
}

// From sources (jest, tsx) the thread has no TypeScript loader of its own: it compiles .ts files with the same swc
// the tests use. The build (dist/) runs the compiled entry directly and needs neither.
const TYPESCRIPT_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { transformSync } = Module.createRequire(workerData.entry)('@swc/core');
Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  });
  module._compile(code, filename);
};
require(workerData.entry);
`;

/** Starts the compute thread from the compiled entry next to this file, or from the TypeScript source via swc. */
export function startComputeThread(data: ComputeThreadData = {}): Worker {
  const extension = extname(__filename);
  const entry = join(__dirname, `compute-thread${extension}`);
  const name = 'mainspring-learning-compute';
  if (extension === '.ts') return new Worker(TYPESCRIPT_BOOTSTRAP, { eval: true, workerData: { ...data, entry }, name });
  return new Worker(entry, { workerData: data, name });
}

export interface ComputeThreadOptions {
  /** PostgreSQL the thread reads training sets and drift windows from (its own pool of at most 2 connections). */
  databaseUrl?: string;
  /**
   * Nice value of the thread on Linux (per thread there), default 10: a fit gets the CPU the saga path leaves, at
   * worst about a tenth of a core under full load, so it still finishes within the activities' heartbeat timeouts.
   */
  niceness?: number;
  /** How the thread is started (tests); default startComputeThread. */
  start?: (data: ComputeThreadData) => Worker;
}

const DEFAULT_NICENESS = 10;

/** How long close() lets the thread close its database pool before terminating it. */
const CLOSE_GRACE_MS = 5_000;

/**
 * LearningCompute on a worker thread, started on first use and again after a crash. Errors keep their class and
 * `code` (TrainingError, DriftInputError, …); a dead thread fails its tasks with COMPUTE_THREAD_FAILED, close()
 * with COMPUTE_THREAD_CLOSED. The thread holds the process open only while a task runs.
 */
export class LearningComputeThread implements LearningCompute {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, PendingTask>();
  private closed = false;

  constructor(private readonly options: ComputeThreadOptions = {}) {}

  loadTrainingSet(input: TrainingSetInput): Promise<TrainingSet> {
    return this.run<'loadTrainingSet'>({ kind: 'loadTrainingSet', input });
  }

  readDriftWindow(input: DriftWindowInput): Promise<DriftWindow> {
    return this.run<'readDriftWindow'>({ kind: 'readDriftWindow', input });
  }

  fitChallenger(input: FitChallengerInput, options?: ComputeTaskOptions): Promise<FitChallengerResult> {
    return this.run<'fitChallenger'>({ kind: 'fitChallenger', input }, options?.onProgress);
  }

  evaluateScores(input: EvaluateScoresInput): Promise<ModelMetrics> {
    return this.run<'evaluateScores'>({ kind: 'evaluateScores', input });
  }

  detectDrift(input: DetectDriftInput): Promise<DriftReport> {
    return this.run<'detectDrift'>({ kind: 'detectDrift', input });
  }

  /** Tasks sent and not yet answered. */
  get busy(): number {
    return this.pending.size;
  }

  /**
   * Lets an idle thread close its database pool, then terminates it (a running task is interrupted and fails);
   * later calls are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    const busy = this.pending.size > 0;
    this.failAll(new ComputeError('COMPUTE_THREAD_CLOSED', 'the learning compute thread was closed'));
    if (!worker) return;
    if (!busy) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          worker.on('message', (m: ComputeResponse) => m.type === 'closed' && resolve());
          worker.postMessage({ type: 'close' } satisfies ComputeRequest);
        }),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(timer);
    }
    await worker.terminate();
  }

  private run<K extends keyof ComputeTaskResults>(task: Extract<ComputeTask, { kind: K }>, onProgress?: ProgressListener): Promise<ComputeTaskResults[K]> {
    if (this.closed) return Promise.reject(new ComputeError('COMPUTE_THREAD_CLOSED', 'the learning compute thread was closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.worker ?? this.spawn();
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject, onProgress });
      worker.ref();
      try {
        worker.postMessage({ type: 'task', id, task } satisfies ComputeRequest);
      } catch (err) {
        // e.g. an input that cannot be cloned: the task never reached the thread.
        this.settle(id);
        reject(new ComputeError('COMPUTE_TASK_FAILED', `${task.kind}: input not sent to the compute thread: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  private spawn(): Worker {
    const start = this.options.start ?? startComputeThread;
    const worker = start({ databaseUrl: this.options.databaseUrl, niceness: this.options.niceness ?? DEFAULT_NICENESS });
    this.worker = worker;
    worker.on('message', (response: ComputeResponse) => {
      if (response.type === 'closed') return;
      const task = this.pending.get(response.id);
      if (!task) return;
      if (response.type === 'progress') {
        task.onProgress?.(response.progress as Parameters<ProgressListener>[0]);
        return;
      }
      this.settle(response.id);
      if (response.type === 'result') task.resolve(response.result);
      else task.reject(deserializeError(response.error));
    });
    worker.on('error', (err) => this.threadDied(worker, new ComputeError('COMPUTE_THREAD_FAILED', `the learning compute thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (exitCode) => this.threadDied(worker, new ComputeError('COMPUTE_THREAD_FAILED', `the learning compute thread exited with code ${exitCode}`)));
    return worker;
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
  }

  private threadDied(worker: Worker, err: ComputeError): void {
    if (this.worker !== worker) return; // closed on purpose, or already replaced
    this.worker = null;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    const tasks = [...this.pending.values()];
    this.pending.clear();
    for (const task of tasks) task.reject(err);
  }
}
