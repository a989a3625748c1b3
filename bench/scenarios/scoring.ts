// Scoring latency on the registered champion: the bare onnxruntime-node session next to a bare onnxruntime session in
// Python on the same model file with the same session options (like for like), mainspring's ModelRuntime (what the
// saga calls: breaker, reasons, shadow check) next to its own bare session (the runtime's overhead), and the
// TypeScript reference scorer — single rows and batches of 256.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOrtSession, ModelRuntime } from '../../src/model/runtime';
import { scoreModel } from '../../src/model/train';
import { checkAborted, pythonUnavailable, type BenchContext } from '../lib/context';
import { writeArray } from '../lib/files';
import { runPythonJson } from '../lib/python-env';
import { atMost, type ComparisonRow } from '../lib/report';
import { ratio, summarize, type Summary } from '../lib/stats';
import type { PreparedModel } from './training';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed version, for the row labels
const ORT_NODE_VERSION: string = (require('onnxruntime-node/package.json') as { version: string }).version;

interface PythonScore {
  onnxruntime: string;
  singleMicros: Summary;
  batch256Ms: Summary;
}

const now = () => process.hrtime.bigint();
const micros = (t0: bigint) => Number(now() - t0) / 1e3;

async function timeCalls(calls: number, warmup: number, fn: (i: number) => unknown): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = now();
    await fn(i);
    times[i] = micros(t0);
  }
  return summarize(times);
}

function timeSync(calls: number, warmup: number, fn: (i: number) => unknown): Summary {
  for (let i = 0; i < warmup; i++) fn(i);
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = now();
    fn(i);
    times[i] = micros(t0);
  }
  return summarize(times);
}

export async function scoringScenario(ctx: BenchContext, prepared: PreparedModel): Promise<void> {
  const { holdout } = prepared;
  const cols = holdout.cols;
  const n = Math.min(4096, holdout.rows);
  const data = Float32Array.from(holdout.data.subarray(0, n * cols));
  const rows = Array.from({ length: n }, (_, i) => data.subarray(i * cols, (i + 1) * cols));
  const batches = Array.from({ length: 16 }, (_, k) => {
    const start = ((k * 256) % (n - 256)) * cols;
    return data.subarray(start, start + 256 * cols);
  });
  const batchRows = batches.map((b) => Array.from({ length: 256 }, (_, i) => b.subarray(i * cols, (i + 1) * cols)));
  const calls = ctx.config.scoringCalls;
  const nb = ctx.config.scoringBatches;

  const runtime = new ModelRuntime({ modelName: prepared.modelName });
  await runtime.setChampion(prepared.version, prepared.artifact, prepared.sha256);
  const session = await createOrtSession(prepared.artifact);
  try {
    ctx.progress(`scoring: ${calls.toLocaleString('en-US')} single rows and ${nb} batches of 256 per scorer`);
    const runtimeSingle = await timeCalls(calls, 2000, (i) => runtime.score(rows[i % n]));
    checkAborted(ctx.signal);
    const runtimeBatch = await timeCalls(nb, 16, (k) => runtime.scoreBatch(batchRows[k % 16]));
    const ortSingle = await timeCalls(calls, 2000, (i) => session.run(rows[i % n], 1, cols));
    const ortBatch = await timeCalls(nb, 16, (k) => session.run(batches[k % 16], 256, cols));
    checkAborted(ctx.signal);
    const refSingle = timeSync(calls, 2000, (i) => scoreModel(prepared.model, { data: rows[i % n], rows: 1, cols }));
    const refBatch = timeSync(nb, 16, (k) => scoreModel(prepared.model, { data: batches[k % 16], rows: 256, cols }));
    const stats = runtime.stats();

    let py: PythonScore | null = null;
    let pyProblem = ctx.config.python ? pythonUnavailable(ctx) : 'python comparisons skipped (--no-python)';
    if (ctx.python.ok && ctx.config.python) {
      const modelFile = join(ctx.workDir, 'model.onnx');
      writeFileSync(modelFile, prepared.artifact);
      writeArray(join(ctx.workDir, 'score-rows.f32'), data);
      try {
        py = await runPythonJson<PythonScore>(ctx.python.env, ['score', '--model', modelFile, '--rows', join(ctx.workDir, 'score-rows.f32'), '--cols', String(cols), '--calls', String(calls), '--batches', String(nb)], ctx.signal);
      } catch (err) {
        pyProblem = (err as Error).message;
      }
    }
    const toMs = (s: Summary) => ({ ...s, p50: s.p50 / 1000, p95: s.p95 / 1000, p99: s.p99 / 1000, mean: s.mean / 1000, min: s.min / 1000, max: s.max / 1000 });
    ctx.details.scoring = {
      model: prepared.version,
      features: cols,
      calls,
      batches: nb,
      runtimeSingleMicros: runtimeSingle,
      runtimeBatch256Ms: toMs(runtimeBatch),
      onnxruntimeNodeSingleMicros: ortSingle,
      onnxruntimeNodeBatch256Ms: toMs(ortBatch),
      referenceSingleMicros: refSingle,
      referenceBatch256Ms: toMs(refBatch),
      python: py,
      pythonProblem: pyProblem,
      runtimeStats: { fallbacks: stats.fallbacks, modelErrors: stats.modelErrors, breaker: stats.breaker.state },
    };
    const pyNote = pyProblem ? { note: pyProblem } : {};
    const pyName = `onnxruntime ${py?.onnxruntime ?? ''} (Python) session.run`.replace('  ', ' ');
    const nodeName = `onnxruntime-node ${ORT_NODE_VERSION} session.run`;
    // Headline: a bare session against a bare session (same model file, same session options); what mainspring's
    // runtime adds on top (breaker, reasons, shadow check) is its own row, with the targets.
    const sessions = (metric: string, node: number, python: number | null | undefined, unit: 'µs' | 'ms'): ComparisonRow => ({
      section: 'scoring',
      metric: `${metric}, bare session vs bare session`,
      mainspring: { value: node, unit, note: nodeName },
      other: { name: pyName, value: python ?? null, unit, ...pyNote },
      ratio: { value: ratio(node, python), label: 'Node ÷ Python' },
    });
    const overhead = (metric: string, runtime: number, bare: number, unit: 'µs' | 'ms', limit: number): ComparisonRow => ({
      section: 'scoring',
      metric,
      mainspring: { value: runtime, unit },
      other: { name: nodeName, value: bare, unit },
      ratio: { value: ratio(runtime, bare), label: 'runtime overhead' },
      target: { text: `${metric.includes('p99') ? 'p99' : 'p50'} ≤ ${limit} ${unit}`, verdict: atMost(runtime, limit) },
    });
    const rowsOut: ComparisonRow[] = [
      sessions('ONNX single row p50', ortSingle.p50, py?.singleMicros.p50, 'µs'),
      sessions('ONNX single row p99', ortSingle.p99, py?.singleMicros.p99, 'µs'),
      sessions('ONNX batch of 256 p50', ortBatch.p50 / 1000, py?.batch256Ms.p50, 'ms'),
      overhead('single row p50: ModelRuntime.score (what the saga calls: breaker, reasons, shadow) vs its bare session', runtimeSingle.p50, ortSingle.p50, 'µs', 30),
      overhead('single row p99: ModelRuntime.score vs its bare session', runtimeSingle.p99, ortSingle.p99, 'µs', 300),
      overhead('batch of 256 p50: ModelRuntime.scoreBatch vs its bare session', runtimeBatch.p50 / 1000, ortBatch.p50 / 1000, 'ms', 2),
      {
        section: 'scoring',
        metric: 'single row p50: ONNX bare session vs TypeScript reference scorer',
        mainspring: { value: ortSingle.p50, unit: 'µs', note: nodeName },
        other: { name: 'TS reference scorer (scoreModel)', value: refSingle.p50, unit: 'µs' },
        ratio: { value: ratio(ortSingle.p50, refSingle.p50), label: 'vs TS reference' },
      },
      {
        section: 'scoring',
        metric: 'batch 256 p50: ONNX bare session vs TypeScript reference scorer',
        mainspring: { value: ortBatch.p50 / 1000, unit: 'ms', note: nodeName },
        other: { name: 'TS reference scorer (scoreModel)', value: refBatch.p50 / 1000, unit: 'ms' },
        ratio: { value: ratio(ortBatch.p50, refBatch.p50), label: 'vs TS reference' },
      },
    ];
    ctx.rows.push(...rowsOut);
  } finally {
    await session.release().catch(() => undefined);
    await runtime.close();
  }
}
