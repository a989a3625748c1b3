import { FEATURE_COUNT } from '../../../src/features/payment-features';
import { startAliasWatcher, type AliasSource, type AliasState, type ModelArtifact } from '../../../src/model/alias-watcher';
import { ModelArtifactError, ScoreInputError } from '../../../src/model/errors';
import { getRow } from '../../../src/model/matrix';
import { exportOnnx, sha256Hex, type OnnxArtifact } from '../../../src/model/onnx-export';
import { RULES_VERSION } from '../../../src/model/rules';
import { createOrtSession, ModelRuntime, type ScoringSession, type SessionFactory } from '../../../src/model/runtime';
import { generateTrainingSet } from '../../../src/model/synthetic';
import { scoreModelFloat32, trainLogisticRegression, type LogisticRegressionModel } from '../../../src/model/train';
import { trainedFixture } from './fixtures';
import { RISKY_VECTOR } from '../../helpers/feature-vectors';

// Two genuinely different models, so "which version answered" is visible in the scores too.
const v1 = trainedFixture(41, 10_000);
const v2 = trainedFixture(42, 10_000, { l2: 0.05 });
const art1 = v1.artifact('fraud-v1');
const art2 = v2.artifact('fraud-v2');
const art3 = exportOnnx(v1.model, { modelName: 'fraud', modelVersion: 'fraud-v3' });
const rows = generateTrainingSet({ rows: 200, seed: 43 }).X;
const row = (i: number): Float32Array => getRow(rows, i % rows.rows);
const risky = RISKY_VECTOR;

function reference(model: LogisticRegressionModel, x: Float32Array): number {
  return scoreModelFloat32(model, { data: x, rows: 1, cols: FEATURE_COUNT }).probability[0];
}

/** Real ORT sessions behind a switch that makes them throw or stall: the failure seam, no module mocking. */
function controllableFactory(): { factory: SessionFactory; control: { failing: boolean; runs: number; onRun?: () => void } } {
  const control: { failing: boolean; runs: number; onRun?: () => void } = { failing: false, runs: 0 };
  const factory: SessionFactory = async (bytes) => {
    const real = await createOrtSession(bytes);
    const session: ScoringSession = {
      async run(features, n, cols) {
        control.runs++;
        control.onRun?.();
        if (control.failing) throw new Error('injected inference failure');
        return real.run(features, n, cols);
      },
      release: () => real.release(),
    };
    return session;
  };
  return { factory, control };
}

class MemoryAliasSource implements AliasSource {
  state: AliasState = { champion: null, shadow: null };
  readonly artifacts = new Map<string, ModelArtifact>();
  loads: string[] = [];
  add(version: string, artifact: OnnxArtifact): void {
    this.artifacts.set(version, { bytes: artifact.bytes, sha256: artifact.sha256 });
  }
  async poll(): Promise<AliasState> {
    return { ...this.state };
  }
  async load(version: string): Promise<ModelArtifact> {
    this.loads.push(version);
    const a = this.artifacts.get(version);
    if (!a) throw new Error(`no artifact for ${version}`);
    return a;
  }
  async sha256Of(version: string): Promise<string | null> {
    return this.artifacts.get(version)?.sha256 ?? null;
  }
}

describe('ModelRuntime', () => {
  const runtimes: ModelRuntime[] = [];
  const make = (options: ConstructorParameters<typeof ModelRuntime>[0] = {}): ModelRuntime => {
    const rt = new ModelRuntime({ modelName: 'fraud', ...options });
    runtimes.push(rt);
    return rt;
  };
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
  });

  it('scores with the champion: probability equals the reference, reasons are signed top contributions', async () => {
    const rt = make();
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    const r = await rt.score(risky);
    expect(r.fallback).toBe(false);
    expect(r.modelVersion).toBe('fraud-v1');
    expect(r.breakerState).toBe('closed');
    expect(r.probability).toBeCloseTo(reference(v1.model, risky.values), 6);
    expect(r.probability).toBeGreaterThan(0.85);
    expect(r.reasons).toHaveLength(3);
    const mags = r.reasons.map((x) => Math.abs(x.contribution));
    expect(mags).toEqual([...mags].sort((a, b) => b - a));
    expect(r.reasons.map((x) => x.feature)).toContain('velocity_60s');
    expect(r.reasons.every((x) => typeof x.value === 'number')).toBe(true);
    expect(r.latencyMicros).toBeGreaterThan(0);

    const batch = await rt.scoreBatch([row(0), row(1), risky]);
    expect(batch.map((b) => b.probability)).toEqual([
      expect.closeTo(reference(v1.model, row(0)), 6),
      expect.closeTo(reference(v1.model, row(1)), 6),
      expect.closeTo(r.probability, 6),
    ]);
    await expect(rt.score([1, 2, 3])).rejects.toBeInstanceOf(ScoreInputError);
  });

  it('hot-swaps the champion under load without a failed or fallback score', async () => {
    // The swap is under test, not latency: on a loaded CI machine 8 concurrent loops exceed the default budget and the
    // breaker would (rightly) open. A budget of 1 s keeps the breaker out of it; failures would still open it.
    const rt = make({ breaker: { latencyBudgetMicros: 1_000_000 } });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    const seen: { version: string; probability: number; i: number; afterSwap: boolean }[] = [];
    let swapped = false;
    let stop = false;
    const loop = async (worker: number): Promise<void> => {
      for (let i = worker; !stop; i += 8) {
        const afterSwap = swapped;
        const r = await rt.score(row(i));
        if (r.fallback) throw new Error(`fallback during swap: ${r.fallbackReason}`);
        seen.push({ version: r.modelVersion, probability: r.probability, i, afterSwap });
      }
    };
    const loops = Array.from({ length: 8 }, (_, w) => loop(w));
    await new Promise((r) => setTimeout(r, 50));
    await rt.setChampion('fraud-v2', art2.bytes, art2.sha256);
    swapped = true;
    await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all(loops);

    const before = seen.filter((s) => s.version === 'fraud-v1');
    const after = seen.filter((s) => s.version === 'fraud-v2');
    expect(before.length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(seen.every((s) => s.version === 'fraud-v1' || s.version === 'fraud-v2')).toBe(true);
    // Every call started after the swap completed is served by the new version.
    expect(seen.filter((s) => s.afterSwap).every((s) => s.version === 'fraud-v2')).toBe(true);
    // And each answer is that version's own score.
    for (const s of [...before.slice(0, 20), ...after.slice(0, 20)]) {
      const model = s.version === 'fraud-v1' ? v1.model : v2.model;
      expect(s.probability).toBeCloseTo(reference(model, row(s.i)), 6);
    }
    expect(rt.stats()).toMatchObject({ champion: 'fraud-v2', fallbacks: 0, modelErrors: 0 });
  });

  it('refuses a corrupt artifact with a coded error and keeps serving the current champion', async () => {
    const rt = make();
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);

    const badSha = rt.setChampion('fraud-v2', art2.bytes, art1.sha256);
    await expect(badSha).rejects.toBeInstanceOf(ModelArtifactError);
    await expect(rt.setChampion('fraud-v2', art2.bytes, art1.sha256)).rejects.toMatchObject({ code: 'MODEL_ARTIFACT_CORRUPT', version: 'fraud-v2' });

    const random = Uint8Array.from({ length: 2048 }, (_, i) => (i * 2654435761) >>> 24);
    const randomErr = await rt.setChampion('fraud-v2', random, sha256Hex(random)).catch((e: unknown) => e);
    expect(randomErr).toBeInstanceOf(ModelArtifactError);
    expect(['MODEL_ARTIFACT_CORRUPT', 'MODEL_ARTIFACT_INVALID']).toContain((randomErr as ModelArtifactError).code);

    const flipped = art2.bytes.slice();
    flipped[flipped.length - 5] ^= 0xff;
    await expect(rt.setChampion('fraud-v2', flipped, art2.sha256)).rejects.toMatchObject({ code: 'MODEL_ARTIFACT_CORRUPT' });

    const otherSpec = exportOnnx({ ...v2.model, featureSpecVersion: 'pf-v0' }, { modelName: 'fraud', modelVersion: 'fraud-v9' });
    await expect(rt.setChampion('fraud-v9', otherSpec.bytes, otherSpec.sha256)).rejects.toMatchObject({ code: 'MODEL_FEATURE_SPEC_MISMATCH' });
    await expect(rt.setChampion('fraud-v5', art2.bytes, art2.sha256)).rejects.toMatchObject({ code: 'MODEL_IDENTITY_MISMATCH' });

    const r = await rt.score(risky);
    expect(r).toMatchObject({ modelVersion: 'fraud-v1', fallback: false });
    expect(rt.stats()).toMatchObject({ champion: 'fraud-v1', refusedLoads: 6, loads: 1 });
  });

  it('refuses an artifact whose session fails during warm-up', async () => {
    const { factory, control } = controllableFactory();
    const rt = make({ sessionFactory: factory });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    control.failing = true;
    await expect(rt.setChampion('fraud-v2', art2.bytes, art2.sha256)).rejects.toMatchObject({ code: 'MODEL_ARTIFACT_INVALID' });
    expect(rt.championVersion).toBe('fraud-v1');
  });

  it('opens the breaker on inference errors, lets rules decide, probes half-open and closes after recovery', async () => {
    let now = 1_000_000;
    const { factory, control } = controllableFactory();
    const transitions: string[] = [];
    const rt = make({
      sessionFactory: factory,
      clock: () => now,
      breaker: { failureThreshold: 3, openDurationMs: 10_000, onStateChange: (from, to) => transitions.push(`${from}->${to}`) },
    });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    control.failing = true;

    const failed = [];
    for (let i = 0; i < 3; i++) failed.push(await rt.score(risky));
    expect(failed.every((r) => r.fallback && r.fallbackReason === 'model-error' && r.modelVersion === RULES_VERSION)).toBe(true);
    expect(rt.breakerState).toBe('open');

    const runsWhenOpened = control.runs;
    const open = await rt.score(risky);
    expect(open).toMatchObject({ fallback: true, fallbackReason: 'breaker-open', breakerState: 'open', modelVersion: RULES_VERSION });
    expect(control.runs).toBe(runsWhenOpened); // the model is not called while open
    // The rules still give a decision with reasons: this payment has every red flag.
    expect(open.probability).toBeGreaterThan(0.85);
    expect(open.reasons.map((r) => r.rule)).toEqual(expect.arrayContaining(['velocity-burst', 'new-device-abroad', 'large-amount']));
    const benign = await rt.score(row(0));
    expect(benign.fallback).toBe(true);
    expect(benign.probability).toBeLessThan(0.5);

    now += 10_000; // half-open: one probe, still failing → open again
    const probe = await rt.score(risky);
    expect(probe).toMatchObject({ fallback: true, fallbackReason: 'model-error' });
    expect(rt.breakerState).toBe('open');

    control.failing = false;
    now += 9_999;
    expect((await rt.score(risky)).fallbackReason).toBe('breaker-open');
    now += 1;
    const recovered = await rt.score(risky);
    expect(recovered).toMatchObject({ fallback: false, modelVersion: 'fraud-v1', breakerState: 'closed' });
    expect(rt.breakerState).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
  });

  it('opens the breaker when calls exceed the latency budget', async () => {
    let micros = 0;
    const { factory, control } = controllableFactory();
    const rt = make({
      sessionFactory: factory,
      nowMicros: () => micros,
      breaker: { slowCallThreshold: 2, latencyBudgetMicros: 10_000, openDurationMs: 60_000 },
    });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    control.onRun = () => {
      micros += 25_000; // every inference "takes" 25 ms
    };
    const first = await rt.score(risky);
    expect(first.fallback).toBe(false); // a slow answer is still an answer
    expect(first.latencyMicros).toBeGreaterThanOrEqual(25_000);
    await rt.score(risky);
    expect(rt.breakerState).toBe('open');
    expect(rt.breakerSnapshot().lastOpenReason).toMatch(/consecutive calls over 10000/);
    expect((await rt.score(risky)).fallbackReason).toBe('breaker-open');
  });

  it('falls back on a hard timeout and when no model is loaded', async () => {
    const rt0 = make();
    expect(await rt0.score(risky)).toMatchObject({ fallback: true, fallbackReason: 'no-model', modelVersion: RULES_VERSION });

    const { factory } = controllableFactory();
    const stalling: SessionFactory = async (bytes, meta) => {
      const s = await factory(bytes, meta);
      let warmed = false;
      return {
        run: (f, n, c) => (warmed ? new Promise((resolve) => setTimeout(() => resolve(s.run(f, n, c)), 300)) : ((warmed = true), s.run(f, n, c))),
        release: () => s.release(),
      };
    };
    const rt = make({ sessionFactory: stalling, timeoutMs: 30 });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    expect(await rt.score(risky)).toMatchObject({ fallback: true, fallbackReason: 'timeout' });
    await new Promise((r) => setTimeout(r, 350)); // let the stalled run finish before close
  });

  it('scores the shadow alongside without letting it decide or break the champion', async () => {
    const rt = make();
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    await rt.setShadow('fraud-v2', art2.bytes, art2.sha256);
    const r = await rt.score(risky);
    expect(r.modelVersion).toBe('fraud-v1');
    expect(r.probability).toBeCloseTo(reference(v1.model, risky.values), 6);
    expect(r.shadow).toMatchObject({ modelVersion: 'fraud-v2', probability: expect.closeTo(reference(v2.model, risky.values), 6) });
    // Promoting the shadow reuses its loaded session and clears the shadow slot.
    await rt.setChampion('fraud-v2', new Uint8Array(0), art2.sha256);
    expect(rt.championVersion).toBe('fraud-v2');
    expect(rt.shadowVersion).toBeNull();
    expect((await rt.score(risky)).shadow).toBeUndefined();
  });

  it('prints a quick single-row latency figure', async () => {
    const rt = make();
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    const lat: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = process.hrtime.bigint();
      await rt.score(row(i));
      lat.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    lat.sort((a, b) => a - b);
    const p50 = lat[Math.floor(lat.length * 0.5)];
    const p99 = lat[Math.floor(lat.length * 0.99)];
    process.stdout.write(`runtime.score single row: p50 ${p50.toFixed(0)} µs, p99 ${p99.toFixed(0)} µs\n`);
    expect(p50).toBeLessThan(5_000);
  });
});

describe('alias watcher', () => {
  it('serves a new champion within 5 s of the alias moving, reuses a loaded shadow, and stops', async () => {
    const source = new MemoryAliasSource();
    source.add('fraud-v1', art1);
    source.add('fraud-v2', art2);
    source.add('fraud-v3', art3);
    source.state = { champion: 'fraud-v1', shadow: null };
    const rt = new ModelRuntime({ modelName: 'fraud' });
    const watcher = startAliasWatcher(rt, source); // default 1 s interval
    try {
      expect(await watcher.ready).toMatchObject({ ok: true, champion: 'fraud-v1' });
      expect((await rt.score(risky)).modelVersion).toBe('fraud-v1');

      source.state = { champion: 'fraud-v2', shadow: 'fraud-v3' };
      const moved = Date.now();
      let r = await rt.score(risky);
      while (r.modelVersion !== 'fraud-v2' && Date.now() - moved < 5_000) {
        await new Promise((res) => setTimeout(res, 20));
        r = await rt.score(risky);
        expect(r.fallback).toBe(false);
      }
      const elapsed = Date.now() - moved;
      expect(r.modelVersion).toBe('fraud-v2');
      expect(elapsed).toBeLessThan(5_000);
      await watcher.syncNow();
      expect(rt.shadowVersion).toBe('fraud-v3');

      // Promotion of the shadow: no second download of fraud-v3.
      source.state = { champion: 'fraud-v3', shadow: null };
      await watcher.syncNow();
      expect(rt.championVersion).toBe('fraud-v3');
      expect(rt.shadowVersion).toBeNull();
      expect(source.loads).toEqual(['fraud-v1', 'fraud-v2', 'fraud-v3']);
    } finally {
      await watcher.stop();
      await rt.close();
    }
  });

  it('keeps serving when the new champion artifact is corrupt, and backs off before retrying it', async () => {
    let now = 0;
    const source = new MemoryAliasSource();
    source.add('fraud-v1', art1);
    source.artifacts.set('fraud-v2', { bytes: art2.bytes, sha256: art1.sha256 }); // wrong hash
    source.state = { champion: 'fraud-v1', shadow: null };
    const errors: unknown[] = [];
    const rt = new ModelRuntime({ modelName: 'fraud' });
    const watcher = startAliasWatcher(rt, source, { intervalMs: 60_000, clock: () => now, retryFailedAfterMs: 30_000, onError: (e) => errors.push(e) });
    try {
      await watcher.ready;
      source.state = { champion: 'fraud-v2', shadow: null };
      const res = await watcher.syncNow();
      expect(res.ok).toBe(false);
      expect(errors[0]).toBeInstanceOf(ModelArtifactError);
      expect((errors[0] as ModelArtifactError).code).toBe('MODEL_ARTIFACT_CORRUPT');
      expect((await rt.score(risky)).modelVersion).toBe('fraud-v1');

      await watcher.syncNow(); // within back-off: not retried
      expect(source.loads.filter((v) => v === 'fraud-v2')).toHaveLength(1);

      source.add('fraud-v2', art2); // fixed in the registry
      now += 30_000;
      expect(await watcher.syncNow()).toMatchObject({ ok: true, champion: 'fraud-v2' });
      expect((await rt.score(risky)).modelVersion).toBe('fraud-v2');
    } finally {
      await watcher.stop();
      await rt.close();
    }
  });
});

describe('trainer → export → runtime', () => {
  it('serves what was trained, end to end', async () => {
    const set = generateTrainingSet({ rows: 5_000, seed: 44 });
    const model = trainLogisticRegression(set.X, set.y);
    const a = exportOnnx(model, { modelName: 'fraud', modelVersion: 'fraud-v10' });
    const rt = new ModelRuntime({ modelName: 'fraud' });
    try {
      await rt.setChampion('fraud-v10', a.bytes, a.sha256);
      const results = await rt.scoreBatch(Array.from({ length: 50 }, (_, i) => row(i)));
      results.forEach((r, i) => expect(r.probability).toBeCloseTo(reference(model, row(i)), 6));
    } finally {
      await rt.close();
    }
  });
});
