// Model faults with the real onnxruntime: an artifact file corrupted on disk (before or after its sha256 was
// registered), a session that onnxruntime itself refuses to run, and a latency spike. In every case the payment
// still gets a decision: the current champion keeps serving, or the rules score and the result says so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScoringActivities } from '../../../activities';
import { startAliasWatcher, type AliasSource, type AliasState, type ModelArtifact } from '../../../src/model/alias-watcher';
import { ModelArtifactError } from '../../../src/model/errors';
import { sha256Hex } from '../../../src/model/onnx-export';
import { RULES_VERSION } from '../../../src/model/rules';
import { createOrtSession, ModelRuntime, type ScoringSession, type SessionFactory } from '../../../src/model/runtime';
import { trainedFixture } from './fixtures';
import { RISKY_VECTOR } from '../../helpers/feature-vectors';

const v1 = trainedFixture(61, 6_000);
const v2 = trainedFixture(62, 6_000, { l2: 0.05 });
const art1 = v1.artifact('fraud-v1');
const art2 = v2.artifact('fraud-v2');
const risky = RISKY_VECTOR;

/** Registry stand-in on disk: `<version>.onnx` plus the sha256 recorded when the version was registered. */
class FileAliasSource implements AliasSource {
  state: AliasState = { champion: null, shadow: null };
  readonly registeredSha = new Map<string, string>();
  constructor(readonly dir: string) {}
  register(version: string, bytes: Uint8Array): string {
    const path = join(this.dir, `${version}.onnx`);
    writeFileSync(path, bytes);
    this.registeredSha.set(version, sha256Hex(bytes));
    return path;
  }
  async poll(): Promise<AliasState> {
    return { ...this.state };
  }
  async load(version: string): Promise<ModelArtifact> {
    return { bytes: new Uint8Array(readFileSync(join(this.dir, `${version}.onnx`))), sha256: this.registeredSha.get(version)! };
  }
}

/** The float32 bytes of a value as the exporter writes them (little-endian raw_data). */
function f32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value, 0);
  return b;
}

describe('model faults (real onnxruntime)', () => {
  let dir: string;
  const runtimes: ModelRuntime[] = [];
  const make = (options: ConstructorParameters<typeof ModelRuntime>[0] = {}) => {
    const rt = new ModelRuntime({ modelName: 'fraud', ...options });
    runtimes.push(rt);
    return rt;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ms-model-faults-'));
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses artifact files corrupted on disk, whichever way, and keeps serving the champion', async () => {
    const rt = make();
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    const before = (await rt.score(risky)).probability;
    const source = new FileAliasSource(dir);

    // Corrupted after registration: the bytes no longer match the registered sha256.
    const path = source.register('fraud-v2', art2.bytes);
    const onDisk = readFileSync(path);
    onDisk[Math.floor(onDisk.length / 2)] ^= 0x5a;
    writeFileSync(path, onDisk);
    const flipped = await source.load('fraud-v2');
    await expect(rt.setChampion('fraud-v2', flipped.bytes, flipped.sha256)).rejects.toMatchObject({ code: 'MODEL_ARTIFACT_CORRUPT', version: 'fraud-v2' });

    // Corrupted before registration (a broken export stored with its own sha): onnxruntime or the reader refuses it.
    const broken: Array<[string, Uint8Array]> = [
      ['truncated', art2.bytes.subarray(0, Math.floor(art2.bytes.length * 0.6))],
      ['zeroed middle', Uint8Array.from(art2.bytes, (b, i) => (i > art2.bytes.length / 3 && i < (art2.bytes.length * 2) / 3 ? 0 : b))],
      ['empty', new Uint8Array(0)],
    ];
    for (const [what, bytes] of broken) {
      source.register('fraud-v2', bytes);
      const loaded = await source.load('fraud-v2');
      const err = await rt.setChampion('fraud-v2', loaded.bytes, loaded.sha256).then(() => undefined, (e: unknown) => e);
      expect([what, err instanceof ModelArtifactError]).toEqual([what, true]);
      expect(['MODEL_ARTIFACT_INVALID', 'MODEL_ARTIFACT_CORRUPT']).toContain((err as ModelArtifactError).code);
    }

    // Parses and loads, but a coefficient became NaN. The exporter writes the coefficients twice: as a row for the
    // per-feature contributions (first) and as a column for the logit (second). Either must be refused at warm-up.
    const coefBytes = f32(v2.model.coef[0]);
    const first = Buffer.from(art2.bytes).indexOf(coefBytes);
    const second = Buffer.from(art2.bytes).indexOf(coefBytes, first + 4);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    for (const [at, pattern] of [
      [first, /warm-up failed: model produced contribution NaN/],
      [second, /warm-up failed: model produced probability NaN/],
    ] as const) {
      const nan = Buffer.from(art2.bytes);
      f32(NaN).copy(nan, at);
      source.register('fraud-v2', nan);
      const poisoned = await source.load('fraud-v2');
      await expect(rt.setChampion('fraud-v2', poisoned.bytes, poisoned.sha256)).rejects.toMatchObject({ code: 'MODEL_ARTIFACT_INVALID', message: expect.stringMatching(pattern) });
    }

    const after = await rt.score(risky);
    expect(after).toMatchObject({ modelVersion: 'fraud-v1', fallback: false });
    expect(after.probability).toBe(before);
    expect(rt.stats()).toMatchObject({ champion: 'fraud-v1', refusedLoads: 6 });
  });

  it('the alias watcher does not swap to a corrupt registry artifact and scoring goes on', async () => {
    const source = new FileAliasSource(dir);
    source.register('fraud-v1', art1.bytes);
    const path = source.register('fraud-v2', art2.bytes);
    const rt = make();
    source.state = { champion: 'fraud-v1', shadow: null };
    const watcher = startAliasWatcher(rt, source, { intervalMs: 20 });
    try {
      await watcher.ready;
      expect(rt.championVersion).toBe('fraud-v1');
      writeFileSync(path, Buffer.from(art2.bytes).subarray(0, 100)); // the stored artifact is damaged
      source.state = { champion: 'fraud-v2', shadow: null };
      for (let i = 0; i < 100 && rt.stats().refusedLoads === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(rt.stats().refusedLoads).toBeGreaterThan(0);
      expect(rt.championVersion).toBe('fraud-v1');
      expect(await rt.score(risky)).toMatchObject({ modelVersion: 'fraud-v1', fallback: false });
    } finally {
      await watcher.stop();
    }
  });

  it('onnxruntime throwing at inference: rules decide with reasons, the breaker opens, the activity records the fallback', async () => {
    // Real sessions; the fault is onnxruntime's own: running a session whose native handle was released.
    const sessions: ScoringSession[] = [];
    const factory: SessionFactory = async (bytes) => {
      const s = await createOrtSession(bytes);
      sessions.push(s);
      return s;
    };
    const transitions: string[] = [];
    const rt = make({ sessionFactory: factory, breaker: { failureThreshold: 2, openDurationMs: 60_000, onStateChange: (from, to) => transitions.push(`${from}->${to}`) } });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    await sessions[0].release();
    const ortError = await sessions[0].run(Float32Array.from(risky.values), 1, risky.values.length).then(() => undefined, (e: unknown) => e);
    // Thrown by onnxruntime-node itself (its Error comes from outside jest's sandbox: check the shape, not the class).
    expect((ortError as Error | undefined)?.message).toEqual(expect.any(String));

    const first = await rt.score(risky);
    expect(first).toMatchObject({ fallback: true, fallbackReason: 'model-error', modelVersion: RULES_VERSION });
    await rt.score(risky);
    expect(rt.breakerState).toBe('open');
    expect(transitions).toEqual(['closed->open']);

    // What the saga records: the rules' answer, flagged as a fallback with its reason, the rules version as model.
    const scored = await createScoringActivities({ models: rt, modelName: 'fraud' }).scorePayment({ paymentId: 'pay-ort', featureSpecVersion: risky.specVersion, vector: Array.from(risky.values) });
    expect(scored).toMatchObject({ fallback: true, fallbackReason: 'breaker-open', modelVersion: RULES_VERSION, modelName: 'fraud' });
    expect(scored.probability).toBeGreaterThan(0.85); // every red flag: the rules still flag it
    expect(scored.reasons.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(scored))).toEqual(scored);
  });

  it('a latency spike opens the breaker; rules answer until a probe succeeds', async () => {
    // Latency is read from an injected microsecond clock that the spike advances: the test judges the breaker's
    // logic, never this machine's speed.
    let now = 5_000_000;
    let micros = 0;
    let spike = false;
    const factory: SessionFactory = async (bytes) => {
      const real = await createOrtSession(bytes);
      return {
        run: async (f, n, c) => {
          if (spike) micros += 250_000;
          return real.run(f, n, c);
        },
        release: () => real.release(),
      };
    };
    const rt = make({ sessionFactory: factory, clock: () => now, nowMicros: () => micros, breaker: { slowCallThreshold: 2, latencyBudgetMicros: 50_000, openDurationMs: 30_000 } });
    await rt.setChampion('fraud-v1', art1.bytes, art1.sha256);
    spike = true;
    const slow = await rt.score(risky);
    expect(slow.fallback).toBe(false); // a slow answer is still the model's answer
    await rt.score(risky);
    expect(rt.breakerState).toBe('open');
    const during = await rt.score(risky);
    expect(during).toMatchObject({ fallback: true, fallbackReason: 'breaker-open', modelVersion: RULES_VERSION });
    expect(during.probability).toBeGreaterThan(0.85);

    spike = false;
    now += 30_000;
    expect(await rt.score(risky)).toMatchObject({ fallback: false, modelVersion: 'fraud-v1' });
    expect(rt.breakerState).toBe('closed');
  });
});
