// The bench's own stack: Temporal dev server, Kafka and PostgreSQL on free ports in .mainspring/bench-stack, wiped
// afterwards (as the integration tests do in .mainspring/test-stacks). Services given by TEMPORAL_ADDRESS /
// KAFKA_BROKERS / DATABASE_URL are used as they are and never started, stopped or wiped.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/env';
import { Stack, type StackEndpoints } from '../../src/stack/manager';
import { stackPaths } from '../../src/stack/paths';
import { findFreePort } from '../../src/stack/ports';
import { isAlive, readPid, stopFromPidFile } from '../../src/stack/processes';
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

export class BenchBusyError extends Error {
  readonly code = 'BENCH_BUSY';
}

export function benchHome(root: string): string {
  return join(root, '.mainspring', 'bench-stack');
}

/** Stops what a killed earlier run left behind in the bench home and removes it; refuses if its owner is alive. */
async function clearLeftovers(home: string, progress: (line: string) => void): Promise<void> {
  if (!existsSync(home)) return;
  const ownerFile = join(home, 'owner.pid');
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
  if (owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new BenchBusyError(`another bench run (pid ${owner}) is using ${home}; wait for it or stop it (kill -INT ${owner})`);
  }
  const run = join(home, 'run');
  if (existsSync(run)) {
    for (const pidFile of readdirSync(run)) {
      progress(`stopping ${pidFile.replace(/\.pid$/, '')} left over from an earlier bench run`);
      await stopFromPidFile(join(run, pidFile), 15_000);
    }
  }
  rmSync(home, { recursive: true, force: true });
}

export async function startBenchStack(root: string, partitions: number, progress: (line: string) => void): Promise<BenchStack> {
  const home = benchHome(root);
  await clearLeftovers(home, progress);
  mkdirSync(home, { recursive: true });
  // PostgreSQL runs as its own account when we are root and must reach its data dir inside.
  chmodSync(home, 0o755);
  writeFileSync(join(home, 'owner.pid'), String(process.pid));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAINSPRING_HOME: home,
    MAINSPRING_TEMPORAL_PORT: String(await findFreePort()),
    MAINSPRING_TEMPORAL_UI_PORT: String(await findFreePort()),
    MAINSPRING_KAFKA_PORT: String(await findFreePort()),
    MAINSPRING_KAFKA_CONTROLLER_PORT: String(await findFreePort()),
    MAINSPRING_POSTGRES_PORT: String(await findFreePort()),
    KAFKA_PARTITIONS: String(partitions),
  };
  const config = loadConfig(env, root);
  const stack = new Stack(config);
  const down = async () => {
    await stack.down({ wipe: true });
    rmSync(home, { recursive: true, force: true });
  };
  let endpoints: StackEndpoints;
  try {
    endpoints = await stack.up(progress);
  } catch (err) {
    await down().catch(() => undefined);
    throw err;
  }
  const paths = stackPaths(home);
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    TEMPORAL_ADDRESS: endpoints.temporalAddress,
    TEMPORAL_NAMESPACE: endpoints.temporalNamespace,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    DATABASE_URL: endpoints.databaseUrl,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
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
