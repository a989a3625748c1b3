// What one bench run measures and how much: `full` (default, ≤ 10 min on 2 cores) and `quick` (≤ 2 min).

export interface BenchConfig {
  mode: 'full' | 'quick';
  /** Events of the sustained-throughput scenario (produced as a backlog, drained by each pipeline). */
  throughputEvents: number;
  /** Fixed rates of the latency scenario and how long each rate is held. */
  latencyRates: number[];
  latencySeconds: number;
  /** Events pre-produced for the bridge accept-rate scenario. */
  acceptEvents: number;
  /** Single-row scoring calls (after warm-up) and batch-256 calls. */
  scoringCalls: number;
  scoringBatches: number;
  trainingRows: number;
  /** Timed repetitions of training and drift (median reported). */
  repetitions: number;
  driftRows: number;
  driftFeatures: number;
  /** Synthetic users (risk profiles seeded before the pipeline runs). */
  users: number;
  kafkaPartitions: number;
  /**
   * How long a scenario waits for its last events after producing them; what is still unfinished then counts as
   * "unfinished at the deadline" (not lost: the final reconciliation waits for it once more before counting losses).
   */
  drainTimeoutSeconds: number;
  python: boolean;
  /** Write V8 CPU profiles of the worker, bridge and plain consumer (bench/results/profiles-<time>/). */
  cpuProfile: boolean;
}

export function benchConfig(mode: 'full' | 'quick', overrides: Partial<BenchConfig> = {}): BenchConfig {
  const base: BenchConfig =
    mode === 'quick'
      ? {
          mode,
          throughputEvents: 300,
          latencyRates: [50],
          latencySeconds: 5,
          acceptEvents: 600,
          scoringCalls: 5_000,
          scoringBatches: 100,
          trainingRows: 100_000,
          repetitions: 1,
          driftRows: 100_000,
          driftFeatures: 20,
          users: 2000,
          kafkaPartitions: 6,
          drainTimeoutSeconds: 15,
          python: true,
          cpuProfile: false,
        }
      : {
          mode,
          throughputEvents: 1500,
          latencyRates: [25, 50, 100],
          latencySeconds: 12,
          acceptEvents: 2000,
          scoringCalls: 20_000,
          scoringBatches: 400,
          trainingRows: 100_000,
          repetitions: 3,
          driftRows: 100_000,
          driftFeatures: 20,
          users: 2000,
          kafkaPartitions: 6,
          drainTimeoutSeconds: 40,
          python: true,
          cpuProfile: false,
        };
  return { ...base, ...overrides };
}

/** The fixed seeds: one population for every scenario, distinct payment seeds so no two scenarios share a payment. */
export const POPULATION_SEED = 7;
export const MODEL_SEED = 7;
