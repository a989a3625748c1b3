// What one bench run measures and how much: `full` (default, ≤ 10 min on 2 cores) and `quick` (≈ 4 min).
import { DEFAULT_BRIDGE_OPTIONS } from '../../src/kafka/bridge';

/**
 * Tasks in flight per partition, for every pipeline of the bench: the bridge's own default, passed to the bridge
 * explicitly and given to the plain consumer, so neither side gets more concurrency than the other.
 */
export const IN_FLIGHT_PER_PARTITION = DEFAULT_BRIDGE_OPTIONS.maxInFlightPerPartition;

/** The pipelines' whole in-flight bound: the ceiling's empty workflows run at it too. */
export function pipelineInFlight(partitions: number): number {
  return IN_FLIGHT_PER_PARTITION * partitions;
}

export interface BenchConfig {
  mode: 'full' | 'quick';
  /** Events of the sustained-throughput scenario (produced as a backlog, drained by each pipeline). */
  throughputEvents: number;
  /** Latency runs at these fractions of the capacity the throughput scenario measured, each held latencySeconds. */
  capacityFractions: number[];
  /** Extra latency runs at fixed rates (ev/s; `--rates`), none by default. */
  latencyRates: number[];
  latencySeconds: number;
  /** Payments of the one-at-a-time run (the next is produced once the previous one's payments.scored arrived). */
  oneAtATimeEvents: number;
  /** Ceiling: how long empty workflows run at the in-flight bound, and timed calls per one-at-a-time variant. */
  ceilingSeconds: number;
  ceilingCalls: number;
  /** Also run the throughput backlog through the other wirings: separate processes, and one process with plain starts. */
  otherWirings: boolean;
  /**
   * After the dev-server scenarios, the pipeline on the rehearsal topology (Temporal server on PostgreSQL, three
   * brokers; scenarios/rehearsal.ts). Off by default: the first run builds the server from source.
   */
  rehearsal: boolean;
  /** Events pre-produced for the bridge accept-rate scenario. */
  acceptEvents: number;
  /** Publishing and produce → consume on the broker alone (scenarios/kafka-hops.ts). */
  kafkaHops: KafkaHopsOptions;
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

/** How much the Kafka hops scenario publishes and round-trips (scenarios/kafka-hops.ts). */
export interface KafkaHopsOptions {
  /** Envelopes per publishing run. */
  envelopes: number;
  /** Concurrent publishers (≈ sagas finishing at once). */
  concurrency: number;
  /** Records of the one-at-a-time produce → consume run. */
  roundTrips: number;
}

export function benchConfig(mode: 'full' | 'quick', overrides: Partial<BenchConfig> = {}): BenchConfig {
  const base: BenchConfig =
    mode === 'quick'
      ? {
          mode,
          throughputEvents: 300,
          capacityFractions: [0.25, 0.5, 0.8],
          latencyRates: [],
          latencySeconds: 6,
          oneAtATimeEvents: 100,
          ceilingSeconds: 8,
          ceilingCalls: 60,
          otherWirings: true,
          rehearsal: false,
          acceptEvents: 600,
          kafkaHops: { envelopes: 1000, concurrency: 50, roundTrips: 100 },
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
          // Drained by three durable wirings in turn (≈ 60 s each at ~17 sagas/s), which keeps a full run ≤ 10 min.
          throughputEvents: 1000,
          capacityFractions: [0.25, 0.5, 0.8],
          latencyRates: [],
          latencySeconds: 12,
          oneAtATimeEvents: 200,
          ceilingSeconds: 20,
          ceilingCalls: 120,
          otherWirings: true,
          rehearsal: false,
          acceptEvents: 2000,
          kafkaHops: { envelopes: 4000, concurrency: 50, roundTrips: 300 },
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
