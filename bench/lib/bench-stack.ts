// The bench's own stack: Temporal dev server, Kafka and PostgreSQL on free ports in .mainspring/bench-stack, wiped
// afterwards (as the integration tests do in .mainspring/test-stacks). Services given by TEMPORAL_ADDRESS /
// KAFKA_BROKERS / DATABASE_URL are used as they are and never started, stopped or wiped.
import { join } from 'node:path';
import type { Config } from '../../src/config/env';
import type { StackEndpoints } from '../../stack/manager';
import { stackPaths } from '../../stack/paths';
import { readPid } from '../../stack/processes';
import { clearStaleStack, startThrowawayStack } from '../../stack/throwaway';
import type { ProcTarget } from './proc-stats';

export interface BenchStack {
  home: string;
  config: Config;
  endpoints: StackEndpoints;
  /** Environment for the bench's child processes: every service addressed explicitly. */
  childEnv: NodeJS.ProcessEnv;
  external: { temporal: boolean; kafka: boolean; database: boolean };
  /** Local services as process groups, for CPU/RSS sampling. */
  serviceTargets(): ProcTarget[];
  down(): Promise<void>;
}

export function benchHome(root: string): string {
  return join(root, '.mainspring', 'bench-stack');
}

export async function startBenchStack(root: string, partitions: number, progress: (line: string) => void): Promise<BenchStack> {
  const home = benchHome(root);
  await clearStaleStack(home, progress);
  const { config, endpoints, env, down } = await startThrowawayStack({ root, home, partitions, progress });
  const paths = stackPaths(home);
  const childEnv: NodeJS.ProcessEnv = { ...env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' };
  return {
    home,
    config,
    endpoints,
    childEnv,
    external: { temporal: config.temporal.external, kafka: config.kafka.external, database: config.database.external },
    serviceTargets: () =>
      (['temporal', 'kafka', 'postgres'] as const)
        .map((name) => ({ name, pid: readPid(paths.pid(name)) }))
        .filter((t): t is { name: 'temporal' | 'kafka' | 'postgres'; pid: number } => t.pid !== undefined)
        .map((t) => ({ ...t, group: true })),
    down,
  };
}
