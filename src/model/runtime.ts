// Model serving: ONNX sessions cached per version, champion + shadow, atomic hot swap, circuit breaker with rule
// fallback. A score call never fails because of the model: a broken, slow or missing model yields a rule-based
// score with fallback = true. Swaps are load → verify → warm up → swap pointer; in-flight calls finish on the
// session they started with, and a refused artifact leaves the current champion serving.

import * as ort from 'onnxruntime-node';
import {
  FEATURE_SPEC_VERSION,
  PAYMENT_FEATURES,
  type FeatureVector,
} from '../features/payment-features';
import { CircuitBreaker, type BreakerSnapshot, type BreakerState, type CircuitBreakerOptions } from './circuit-breaker';
import { ModelArtifactError, ScoreInputError, silentLogger, type ModelLogger } from './errors';
import {
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_CONTRIBUTIONS,
  ONNX_OUTPUT_PROBABILITY,
  readOnnxMetadata,
  sha256Hex,
  type OnnxModelMetadata,
} from './onnx-export';
import { scoreWithRules, RULES_VERSION, type Reason } from './rules';

export type { Reason } from './rules';

export interface SessionOutput {
  /** One probability per row. */
  probability: Float32Array;
  /** rows × features, row-major. */
  contributions: Float32Array;
}

/** What the runtime needs from an inference session; the test seam for injecting failures. */
export interface ScoringSession {
  run(features: Float32Array, rows: number, cols: number): Promise<SessionOutput>;
  release(): Promise<void>;
}

export type SessionFactory = (bytes: Uint8Array, metadata: OnnxModelMetadata) => Promise<ScoringSession>;

export interface OrtSessionOptions {
  /** Threads per session; 1 keeps scoring latency predictable next to the Temporal worker. */
  intraOpNumThreads?: number;
}

/** onnxruntime-node session in the ScoringSession shape. */
export async function createOrtSession(bytes: Uint8Array, options: OrtSessionOptions = {}): Promise<ScoringSession> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.intraOpNumThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  return {
    async run(features, rows, cols) {
      const out = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', features, [rows, cols]) });
      const probability = out[ONNX_OUTPUT_PROBABILITY]?.data;
      const contributions = out[ONNX_OUTPUT_CONTRIBUTIONS]?.data;
      if (!(probability instanceof Float32Array) || !(contributions instanceof Float32Array)) {
        throw new Error('model outputs are missing or not float32');
      }
      return { probability, contributions };
    },
    release: () => session.release(),
  };
}

export type FallbackReason = 'no-model' | 'breaker-open' | 'model-error' | 'timeout';

export type ShadowScore =
  | { modelVersion: string; probability: number; reasons: Reason[] }
  | { modelVersion: string; error: string };

export interface ScoreResult {
  probability: number;
  /** Model version that produced the score, or the rules version on fallback. */
  modelVersion: string;
  /** Top contributions (signed; positive pushes toward fraud), largest magnitude first. */
  reasons: Reason[];
  fallback: boolean;
  fallbackReason?: FallbackReason;
  breakerState: BreakerState;
  latencyMicros: number;
  /** Shadow model's opinion; never used for the decision. */
  shadow?: ShadowScore;
}

export interface ModelRuntimeOptions {
  /** When set, artifacts must carry this model name. */
  modelName?: string;
  breaker?: Omit<CircuitBreakerOptions, 'clock'>;
  /** Millisecond clock for the breaker; inject for tests. */
  clock?: () => number;
  /** Microsecond monotonic clock for latency; inject for tests. */
  nowMicros?: () => number;
  /** Test seam / alternative backend; default onnxruntime-node. */
  sessionFactory?: SessionFactory;
  /** Reasons returned per score; default 3. */
  reasonCount?: number;
  /** Hard per-call timeout; a call exceeding it falls back (the ORT run still completes in the background). */
  timeoutMs?: number;
  /** Score the shadow alongside the champion; default true. */
  scoreShadow?: boolean;
  /** Versions kept loaded (champion, shadow and recent ones for instant rollback); default 3. */
  maxCachedVersions?: number;
  logger?: ModelLogger;
  /** Hears every scored batch (latency, fallback and why): the worker's Prometheus metrics. */
  observer?: { scored(observation: { rows: number; latencyMicros: number; fallback: boolean; fallbackReason?: FallbackReason }): void };
}

export interface RuntimeStats {
  champion: string | null;
  shadow: string | null;
  cachedVersions: string[];
  breaker: BreakerSnapshot;
  scored: number;
  fallbacks: number;
  modelErrors: number;
  shadowErrors: number;
  loads: number;
  refusedLoads: number;
}

interface LoadedModel {
  version: string;
  sha256: string;
  metadata: OnnxModelMetadata;
  session: ScoringSession;
  inflight: number;
  evicted: boolean;
  released: boolean;
  lastUsed: number;
}

type VectorInput = FeatureVector | ArrayLike<number>;

const defaultNowMicros = (): number => Number(process.hrtime.bigint() / 1000n);

function isFeatureVector(v: VectorInput): v is FeatureVector {
  return typeof v === 'object' && v !== null && 'values' in v && 'specVersion' in v;
}

class TimeoutError extends Error {
  readonly code = 'MODEL_TIMEOUT';
}

export class ModelRuntime {
  private champion: LoadedModel | null = null;
  private shadow: LoadedModel | null = null;
  private readonly cache = new Map<string, LoadedModel>();
  private readonly breaker: CircuitBreaker;
  private readonly nowMicros: () => number;
  private readonly sessionFactory: SessionFactory;
  private readonly logger: ModelLogger;
  private loadChain: Promise<unknown> = Promise.resolve();
  private useCounter = 0;
  private closed = false;
  private readonly counters = { scored: 0, fallbacks: 0, modelErrors: 0, shadowErrors: 0, loads: 0, refusedLoads: 0 };

  constructor(private readonly options: ModelRuntimeOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.nowMicros = options.nowMicros ?? defaultNowMicros;
    this.sessionFactory = options.sessionFactory ?? ((bytes) => createOrtSession(bytes));
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      ...(options.clock ? { clock: options.clock } : {}),
      onStateChange: (from, to, reason) => {
        const log = to === 'open' ? this.logger.warn : this.logger.info;
        log.call(this.logger, { from, to, reason, modelVersion: this.champion?.version }, 'model breaker state change');
        options.breaker?.onStateChange?.(from, to, reason);
      },
    });
  }

  get championVersion(): string | null {
    return this.champion?.version ?? null;
  }

  get shadowVersion(): string | null {
    return this.shadow?.version ?? null;
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  breakerSnapshot(): BreakerSnapshot {
    return this.breaker.snapshot();
  }

  /** True when this exact artifact is already loaded (the alias watcher skips re-downloading it). */
  isLoaded(version: string, sha256?: string): boolean {
    const m = this.cache.get(version);
    return m !== undefined && (sha256 === undefined || m.sha256 === sha256);
  }

  /** Verifies, loads and warms up the artifact, then makes it the champion. Refusal leaves the current one serving. */
  setChampion(version: string, artifact: Uint8Array, sha256: string): Promise<void> {
    return this.serialized(async () => {
      const loaded = await this.load(version, artifact, sha256);
      const before = this.champion?.version ?? null;
      this.champion = loaded; // the swap: a single reference assignment, seen atomically by every later call
      if (this.shadow === loaded) this.shadow = null;
      // A fresh, warmed-up model deserves a fresh breaker; failures of the old one say nothing about it.
      if (before !== version) this.breaker.reset(`champion ${before ?? 'none'} → ${version}`);
      this.logger.info({ from: before, to: version, sha256 }, 'champion model swapped');
      this.evictExcess();
    });
  }

  setShadow(version: string, artifact: Uint8Array, sha256: string): Promise<void> {
    return this.serialized(async () => {
      const loaded = await this.load(version, artifact, sha256);
      if (this.champion === loaded) return; // the champion is never its own shadow
      this.shadow = loaded;
      this.logger.info({ shadow: version, sha256 }, 'shadow model set');
      this.evictExcess();
    });
  }

  clearShadow(): Promise<void> {
    return this.serialized(async () => {
      if (!this.shadow) return;
      this.logger.info({ shadow: this.shadow.version }, 'shadow model cleared');
      this.shadow = null;
      this.evictExcess();
    });
  }

  async score(vector: VectorInput): Promise<ScoreResult> {
    const [result] = await this.scoreBatch([vector]);
    return result;
  }

  /** Scores rows in one inference call; the breaker sees the batch as one call. */
  async scoreBatch(vectors: readonly VectorInput[]): Promise<ScoreResult[]> {
    const results = await this.scoreRows(vectors);
    const first = results[0];
    if (first) this.options.observer?.scored({ rows: results.length, latencyMicros: first.latencyMicros, fallback: first.fallback, fallbackReason: first.fallbackReason });
    return results;
  }

  private async scoreRows(vectors: readonly VectorInput[]): Promise<ScoreResult[]> {
    const started = this.nowMicros();
    if (vectors.length === 0) return [];
    const champion = this.champion;
    const cols = PAYMENT_FEATURES.length;
    const features = this.pack(vectors, champion, cols);
    this.counters.scored += vectors.length;

    if (!champion) return this.fallback(features, vectors.length, 'no-model', started);
    if (!this.breaker.tryAcquire()) return this.fallback(features, vectors.length, 'breaker-open', started);

    const shadow = this.options.scoreShadow === false ? null : this.shadow;
    const shadowRun = shadow && shadow !== champion ? this.runGuarded(shadow, features, vectors.length, cols) : null;
    const modelStarted = this.nowMicros();
    let out: SessionOutput;
    try {
      out = await this.withTimeout(this.runGuarded(champion, features, vectors.length, cols));
      this.checkOutput(out, vectors.length, cols);
    } catch (err) {
      this.breaker.recordFailure(err);
      this.counters.modelErrors++;
      this.logger.warn({ err, modelVersion: champion.version }, 'model scoring failed; rules decide');
      shadowRun?.catch(() => undefined);
      return this.fallback(features, vectors.length, err instanceof TimeoutError ? 'timeout' : 'model-error', started);
    }
    const modelMicros = this.nowMicros() - modelStarted;
    // The budget is per call of up to 64 rows; larger batches get a proportionally larger one.
    this.breaker.recordSuccess(modelMicros, this.breaker.latencyBudgetMicros * Math.max(1, vectors.length / 64));

    let shadowOut: SessionOutput | Error | null = null;
    if (shadowRun && shadow) {
      try {
        shadowOut = await shadowRun;
        this.checkOutput(shadowOut, vectors.length, cols);
      } catch (err) {
        this.counters.shadowErrors++;
        shadowOut = err instanceof Error ? err : new Error(String(err));
      }
    }
    const breakerState = this.breaker.state;
    const latencyMicros = this.nowMicros() - started;
    const k = this.options.reasonCount ?? 3;
    return vectors.map((_, i) => {
      const result: ScoreResult = {
        probability: out.probability[i],
        modelVersion: champion.version,
        reasons: topReasons(out.contributions, features, i, cols, champion.metadata.featureNames, k),
        fallback: false,
        breakerState,
        latencyMicros,
      };
      if (shadow && shadowOut) {
        result.shadow =
          shadowOut instanceof Error
            ? { modelVersion: shadow.version, error: shadowOut.message }
            : {
                modelVersion: shadow.version,
                probability: shadowOut.probability[i],
                reasons: topReasons(shadowOut.contributions, features, i, cols, shadow.metadata.featureNames, k),
              };
      }
      return result;
    });
  }

  stats(): RuntimeStats {
    return {
      champion: this.championVersion,
      shadow: this.shadowVersion,
      cachedVersions: [...this.cache.keys()],
      breaker: this.breaker.snapshot(),
      ...this.counters,
    };
  }

  /** Releases every session. Scoring afterwards falls back to rules. */
  async close(): Promise<void> {
    await this.serialized(async () => {
      this.closed = true;
      this.champion = null;
      this.shadow = null;
      for (const m of this.cache.values()) m.evicted = true;
      const all = [...this.cache.values()];
      this.cache.clear();
      await Promise.all(all.map((m) => this.releaseIfIdle(m)));
    });
  }

  // Loads are serialized so that concurrent swaps apply in call order and never interleave.
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.loadChain.then(fn, fn);
    this.loadChain = next.catch(() => undefined);
    return next;
  }

  private async load(version: string, artifact: Uint8Array, sha256: string): Promise<LoadedModel> {
    if (this.closed) throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', 'runtime is closed', { version });
    const cached = this.cache.get(version);
    if (cached && cached.sha256 === sha256.toLowerCase()) {
      cached.lastUsed = ++this.useCounter;
      return cached;
    }
    try {
      const actual = sha256Hex(artifact);
      if (actual !== sha256.toLowerCase()) {
        throw new ModelArtifactError('MODEL_ARTIFACT_CORRUPT', `artifact ${version}: sha256 ${actual} does not match expected ${sha256}`, { version });
      }
      let metadata: OnnxModelMetadata;
      try {
        metadata = readOnnxMetadata(artifact);
      } catch (err) {
        if (err instanceof ModelArtifactError) throw new ModelArtifactError(err.code, `artifact ${version}: ${err.message}`, { version, cause: err });
        throw err;
      }
      this.checkIdentity(version, metadata);
      let session: ScoringSession;
      try {
        session = await this.sessionFactory(artifact, metadata);
      } catch (err) {
        throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', `artifact ${version}: inference session could not be created: ${(err as Error).message}`, { version, cause: err });
      }
      const loaded: LoadedModel = { version, sha256: actual, metadata, session, inflight: 0, evicted: false, released: false, lastUsed: ++this.useCounter };
      try {
        await this.warmUp(loaded);
      } catch (err) {
        await session.release().catch(() => undefined);
        throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', `artifact ${version}: warm-up failed: ${(err as Error).message}`, { version, cause: err });
      }
      if (cached) {
        // Same version label, different bytes: versions are meant to be immutable, so say so loudly.
        this.logger.warn({ version, oldSha256: cached.sha256, newSha256: actual }, 'model version reloaded with different bytes');
        this.cache.delete(version);
        cached.evicted = true;
        await this.releaseIfIdle(cached);
      }
      this.cache.set(version, loaded);
      this.counters.loads++;
      return loaded;
    } catch (err) {
      this.counters.refusedLoads++;
      this.logger.error({ err, version, servingChampion: this.championVersion }, 'model artifact refused; current model keeps serving');
      throw err;
    }
  }

  private checkIdentity(version: string, metadata: OnnxModelMetadata): void {
    if (metadata.featureSpecVersion !== FEATURE_SPEC_VERSION) {
      throw new ModelArtifactError('MODEL_FEATURE_SPEC_MISMATCH', `artifact ${version} was built for feature spec ${metadata.featureSpecVersion}, this build serves ${FEATURE_SPEC_VERSION}`, { version });
    }
    const expectedNames = PAYMENT_FEATURES.map((f) => f.name);
    if (metadata.featureNames.length !== expectedNames.length || metadata.featureNames.some((n, i) => n !== expectedNames[i])) {
      throw new ModelArtifactError('MODEL_FEATURE_SPEC_MISMATCH', `artifact ${version} feature names do not match spec ${FEATURE_SPEC_VERSION}`, { version });
    }
    if (metadata.modelVersion !== version) {
      throw new ModelArtifactError('MODEL_IDENTITY_MISMATCH', `artifact says version ${metadata.modelVersion}, loaded as ${version}`, { version });
    }
    if (this.options.modelName !== undefined && metadata.modelName !== this.options.modelName) {
      throw new ModelArtifactError('MODEL_IDENTITY_MISMATCH', `artifact is for model ${metadata.modelName}, runtime serves ${this.options.modelName}`, { version });
    }
  }

  // One inference on a default vector: compiles kernels before real traffic and proves the graph runs.
  private async warmUp(m: LoadedModel): Promise<void> {
    const cols = PAYMENT_FEATURES.length;
    const row = Float32Array.from(PAYMENT_FEATURES, (f) => f.defaultValue);
    const out = await m.session.run(row, 1, cols);
    this.checkOutput(out, 1, cols);
  }

  private checkOutput(out: SessionOutput, rows: number, cols: number): void {
    if (out.probability.length !== rows || out.contributions.length !== rows * cols) {
      throw new Error(`model output shape mismatch: probability ${out.probability.length}, contributions ${out.contributions.length}`);
    }
    for (let i = 0; i < rows; i++) {
      const p = out.probability[i];
      if (!(p >= 0 && p <= 1)) throw new Error(`model produced probability ${p}`);
    }
    // Contributions become the decision's reasons (jsonb, payments.scored): a NaN there would break the record
    // downstream even though the probability is fine, so a model producing one is as faulty as a NaN score.
    for (let i = 0; i < out.contributions.length; i++) {
      if (!Number.isFinite(out.contributions[i])) throw new Error(`model produced contribution ${out.contributions[i]} (row ${Math.floor(i / cols)}, feature ${i % cols})`);
    }
  }

  private async runGuarded(m: LoadedModel, features: Float32Array, rows: number, cols: number): Promise<SessionOutput> {
    m.inflight++;
    m.lastUsed = ++this.useCounter;
    try {
      return await m.session.run(features, rows, cols);
    } finally {
      m.inflight--;
      if (m.evicted) await this.releaseIfIdle(m);
    }
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs;
    if (ms === undefined) return p;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`model call exceeded ${ms} ms`)), ms);
    });
    p.catch(() => undefined); // a late failure after the timeout must not become an unhandled rejection
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private pack(vectors: readonly VectorInput[], champion: LoadedModel | null, cols: number): Float32Array {
    const out = new Float32Array(vectors.length * cols);
    vectors.forEach((v, i) => {
      let values: ArrayLike<number>;
      if (isFeatureVector(v)) {
        if (v.specVersion !== FEATURE_SPEC_VERSION) {
          throw new ScoreInputError(`vector has feature spec ${v.specVersion}, runtime serves ${FEATURE_SPEC_VERSION}${champion ? ` (${champion.version})` : ''}`);
        }
        values = v.values;
      } else values = v;
      if (values.length !== cols) throw new ScoreInputError(`vector ${i} has ${values.length} values, expected ${cols}`);
      for (let j = 0; j < cols; j++) {
        const x = values[j];
        if (!Number.isFinite(x)) throw new ScoreInputError(`vector ${i}, feature ${PAYMENT_FEATURES[j].name} is ${x}`);
        out[i * cols + j] = x;
      }
    });
    return out;
  }

  private fallback(features: Float32Array, rows: number, reason: FallbackReason, started: number): ScoreResult[] {
    this.counters.fallbacks += rows;
    const cols = PAYMENT_FEATURES.length;
    const breakerState = this.breaker.state;
    const results: ScoreResult[] = [];
    for (let i = 0; i < rows; i++) {
      const r = scoreWithRules(features.subarray(i * cols, (i + 1) * cols));
      results.push({ probability: r.probability, modelVersion: RULES_VERSION, reasons: r.reasons, fallback: true, fallbackReason: reason, breakerState, latencyMicros: 0 });
    }
    const latencyMicros = this.nowMicros() - started;
    for (const r of results) r.latencyMicros = latencyMicros;
    return results;
  }

  // Keeps champion + shadow and the most recently used others up to the cap; evicted sessions are released once idle.
  private evictExcess(): void {
    const max = Math.max(1, this.options.maxCachedVersions ?? 3);
    const removable = [...this.cache.values()]
      .filter((m) => m !== this.champion && m !== this.shadow)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.cache.size > max && removable.length > 0) {
      const victim = removable.shift()!;
      this.cache.delete(victim.version);
      victim.evicted = true;
      void this.releaseIfIdle(victim);
    }
  }

  private async releaseIfIdle(m: LoadedModel): Promise<void> {
    if (m.inflight > 0 || m.released) return;
    m.released = true;
    try {
      await m.session.release();
    } catch (err) {
      this.logger.warn({ err, version: m.version }, 'releasing model session failed');
    }
  }
}

function topReasons(contributions: Float32Array, features: Float32Array, row: number, cols: number, names: readonly string[], k: number): Reason[] {
  const idx: number[] = [];
  for (let j = 0; j < cols; j++) if (contributions[row * cols + j] !== 0) idx.push(j);
  idx.sort((a, b) => Math.abs(contributions[row * cols + b]) - Math.abs(contributions[row * cols + a]));
  return idx.slice(0, k).map((j) => ({ feature: names[j], contribution: contributions[row * cols + j], value: features[row * cols + j] }));
}
