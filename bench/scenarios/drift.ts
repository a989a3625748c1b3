// Drift on 20 features × 100k rows: mainspring's profile + detect (src/model/drift.ts) vs Evidently's
// DataDriftPreset on the same reference and current windows — per-feature verdict agreement and time. Twice:
// Evidently's defaults (what a user gets: Wasserstein for numeric columns, Jensen–Shannon for categorical ones at
// this size) and method-matched (PSI / Jensen–Shannon at 0.1, which is what mainspring uses at this size).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReferenceProfile, detectDrift, type DriftReport } from '../../src/model/drift';
import { checkAborted, pythonUnavailable, type BenchContext } from '../lib/context';
import { driftDataset } from '../lib/drift-data';
import { writeArray } from '../lib/files';
import { runPythonJson } from '../lib/python-env';
import { atLeast, type ComparisonRow } from '../lib/report';
import { agreement, median, ratio } from '../lib/stats';

interface EvidentlyFeature {
  name: string;
  method: string;
  threshold: number;
  statistic: number;
  drifted: boolean;
}

interface EvidentlyRun {
  secondsMedian: number;
  features: EvidentlyFeature[];
}

interface PythonDrift {
  evidently: string;
  default: EvidentlyRun;
  methodMatched: EvidentlyRun;
}

export async function driftScenario(ctx: BenchContext): Promise<void> {
  const { driftRows: rows, driftFeatures: features, repetitions } = ctx.config;
  ctx.progress(`drift: generating ${features} features × ${rows.toLocaleString('en-US')} rows (reference and current)`);
  const data = driftDataset({ rows, features, seed: 11 });
  const specs = data.columns.map(({ name, type }) => ({ name, type }));

  const seconds: number[] = [];
  let report: DriftReport | undefined;
  for (let r = 0; r < repetitions; r++) {
    checkAborted(ctx.signal);
    const t0 = process.hrtime.bigint();
    const profile = buildReferenceProfile(data.reference, { features: specs });
    report = detectDrift(profile, data.current, { exclude: [] });
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const ours = { seconds: median(seconds), method: report!.method, features: report!.features };

  let py: PythonDrift | null = null;
  let pyProblem = ctx.config.python ? pythonUnavailable(ctx) : 'python comparisons skipped (--no-python)';
  if (ctx.python.ok && ctx.config.python) {
    writeArray(join(ctx.workDir, 'drift-ref.f32'), Float32Array.from(data.reference.data));
    writeArray(join(ctx.workDir, 'drift-cur.f32'), Float32Array.from(data.current.data));
    const meta = join(ctx.workDir, 'drift.json');
    writeFileSync(meta, JSON.stringify({ features: specs }));
    ctx.progress(`Evidently: DataDriftPreset on the same data (defaults, then PSI/JS-matched; ${repetitions} repetition(s) each)`);
    try {
      py = await runPythonJson<PythonDrift>(ctx.python.env, ['drift', '--dir', ctx.workDir, '--meta', meta, '--repetitions', String(repetitions)], ctx.signal, 10 * 60_000);
    } catch (err) {
      pyProblem = (err as Error).message;
    }
  }

  const perFeature = data.columns.map((c) => {
    const mine = ours.features.find((f) => f.name === c.name);
    const def = py?.default.features.find((f) => f.name === c.name);
    const matched = py?.methodMatched.features.find((f) => f.name === c.name);
    return {
      name: c.name,
      type: c.type,
      injected: c.injected,
      mainspring: mine ? { statistic: mine.statisticName, value: mine.statistic, drifted: mine.drifted } : null,
      evidentlyDefault: def ? { method: def.method, value: def.statistic, drifted: def.drifted } : null,
      evidentlyMatched: matched ? { method: matched.method, value: matched.statistic, drifted: matched.drifted } : null,
    };
  });
  const agreeDefault = py ? agreement(ours.features, py.default.features) : null;
  const agreeMatched = py ? agreement(ours.features, py.methodMatched.features) : null;
  ctx.details.drift = { rows, features, repetitions, mainspringSeconds: ours.seconds, mainspringMethod: ours.method, evidently: py?.evidently ?? null, evidentlyDefaultSeconds: py?.default.secondsMedian ?? null, evidentlyMatchedSeconds: py?.methodMatched.secondsMedian ?? null, agreementDefault: agreeDefault, agreementMatched: agreeMatched, perFeature, pythonProblem: pyProblem };

  const drifted = ours.features.filter((f) => f.drifted).length;
  const graded = data.columns.filter((c) => c.injected.includes('graded')).length;
  const pyNote = pyProblem ? { note: pyProblem } : {};
  const evName = `Evidently ${py?.evidently ?? ''}`.trim();
  const out: ComparisonRow[] = [];
  for (const [label, run, agree] of [
    ['DataDriftPreset defaults', py?.default, agreeDefault],
    ['DataDriftPreset PSI/JS 0.1 (method-matched)', py?.methodMatched, agreeMatched],
  ] as const) {
    const speedup = ratio(run?.secondsMedian, ours.seconds);
    out.push(
      {
        section: 'drift',
        metric: `per-feature verdicts, ${features} features × ${rows.toLocaleString('en-US')} rows (${graded} shifted to just below or above the 0.1 threshold) vs ${label}`,
        mainspring: { value: drifted, unit: 'count', note: `of ${ours.features.length} drifted` },
        other: { name: evName, value: run ? run.features.filter((f) => f.drifted).length : null, unit: 'count', ...(run ? { note: `of ${run.features.length} drifted` } : pyNote) },
        ratio: { value: agree?.share ?? null, label: `agreement${agree && agree.disagreeing.length > 0 ? ` (differ: ${agree.disagreeing.join(', ')})` : ''}`, plain: true },
        target: { text: 'verdicts equal', verdict: agree ? (agree.share === 1 ? 'pass' : 'miss') : 'n/a' },
      },
      {
        section: 'drift',
        metric: `time (profile + detect, median of ${repetitions}) vs ${label}`,
        mainspring: { value: ours.seconds, unit: 's' },
        other: { name: evName, value: run?.secondsMedian ?? null, unit: 's', ...pyNote },
        ratio: { value: speedup, label: 'faster than Evidently' },
        target: { text: '≥ 10× faster', verdict: atLeast(speedup, 10) },
      },
    );
  }
  ctx.rows.push(...out);
}
