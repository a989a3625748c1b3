import type { BenchConfig } from './config';
import type { PythonEnvResult } from './python-env';
import type { ComparisonRow, SectionStatus } from './report';

/** What every scenario reads and writes. */
export interface BenchContext {
  config: BenchConfig;
  root: string;
  /** Short id of this run: part of every topic, group, task queue and model name it creates. */
  runId: string;
  /** Scratch files (data exchanged with Python); removed at the end. */
  workDir: string;
  progress(line: string): void;
  signal: AbortSignal;
  python: PythonEnvResult;
  rows: ComparisonRow[];
  details: Record<string, unknown>;
  sections: Record<string, SectionStatus>;
  problems: string[];
}

export class BenchInterrupted extends Error {
  readonly code = 'BENCH_INTERRUPTED';
  constructor() {
    super('interrupted');
  }
}

export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new BenchInterrupted();
}

/** Runs one section; its failure is recorded (and reported) without stopping the others. Interruption propagates. */
export async function section(ctx: BenchContext, name: string, body: () => Promise<void>): Promise<boolean> {
  checkAborted(ctx.signal);
  const started = Date.now();
  ctx.progress(`▶ ${name}`);
  try {
    await body();
    ctx.sections[name] ??= { status: 'ok' };
    ctx.progress(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  } catch (err) {
    if (ctx.signal.aborted || err instanceof BenchInterrupted) throw new BenchInterrupted();
    const reason = err instanceof Error ? err.message : String(err);
    ctx.sections[name] = { status: 'failed', reason };
    ctx.progress(`✗ ${name} failed: ${reason.split('\n')[0]}`);
    return false;
  }
}

/** The Python side's figure, or why there is none. */
export function pythonUnavailable(ctx: BenchContext): string | null {
  return ctx.python.ok ? null : ctx.python.reason;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new BenchInterrupted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new BenchInterrupted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
