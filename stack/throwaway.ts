import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config/env';
import type { StackComponent } from './component';
import { Stack, type StackEndpoints } from './manager';
import { findFreePort } from '../src/lifecycle/ports';
import { isAlive, stopFromPidFile } from './processes';

/**
 * A stack of its own on free ports in a home that is removed afterwards: what the integration tests and the
 * benchmark run on, so they never touch the developer's stack. Services given by TEMPORAL_ADDRESS /
 * KAFKA_BROKERS / DATABASE_URL are used as they are (never started, stopped or wiped).
 */
export interface ThrowawayStack {
  home: string;
  config: Config;
  stack: ManagedStack;
  endpoints: StackEndpoints;
  /** The environment with every service addressed explicitly, for child processes and test workers. */
  env: NodeJS.ProcessEnv;
  down(): Promise<void>;
}

/** The processes of a stack this run manages: faults reach a component by name; `down` stops them in order. */
export interface ManagedStack {
  component(name: string): StackComponent | undefined;
  readonly components: readonly StackComponent[];
  down(options?: { wipe?: boolean }): Promise<void>;
}

export class StackBusyError extends Error {
  readonly code = 'STACK_BUSY';
}

const OWNER_FILE = 'owner.pid';

/** Stops the services a killed run left in `home` and removes it. Refuses while the run that owns it is alive. */
export async function clearStaleStack(home: string, progress: (line: string) => void = () => undefined): Promise<void> {
  if (!existsSync(home)) return;
  const ownerFile = join(home, OWNER_FILE);
  const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
  if (owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new StackBusyError(`another run (pid ${owner}) is using ${home}; wait for it or stop it (kill -INT ${owner})`);
  }
  const run = join(home, 'run');
  if (existsSync(run)) {
    for (const pidFile of readdirSync(run)) {
      progress(`stopping ${pidFile.replace(/\.pid$/, '')} left over from an earlier run`);
      await stopFromPidFile(join(run, pidFile), 15_000);
    }
  }
  rmSync(home, { recursive: true, force: true });
}

/** Makes `home` this run's: created, readable by PostgreSQL's account, and owned (clearStaleStack respects it). */
export function claimHome(home: string): void {
  mkdirSync(home, { recursive: true });
  // PostgreSQL runs as its own account when we are root and must reach its data dir inside.
  chmodSync(home, 0o755);
  writeFileSync(join(home, OWNER_FILE), String(process.pid));
}

export async function startThrowawayStack(options: { root: string; home: string; partitions: number; progress?: (line: string) => void }): Promise<ThrowawayStack> {
  const { root, home, partitions, progress = () => undefined } = options;
  claimHome(home);
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    MAINSPRING_HOME: home,
    MAINSPRING_TEMPORAL_PORT: String(await findFreePort()),
    MAINSPRING_TEMPORAL_UI_PORT: String(await findFreePort()),
    MAINSPRING_KAFKA_PORT: String(await findFreePort()),
    MAINSPRING_KAFKA_CONTROLLER_PORT: String(await findFreePort()),
    MAINSPRING_POSTGRES_PORT: String(await findFreePort()),
    KAFKA_PARTITIONS: String(partitions),
    // Its processes reach it by TEMPORAL_ADDRESS like a shared cluster's, so they need a key of their own (config/env.ts).
    MAINSPRING_PII_HASH_KEY: process.env.MAINSPRING_PII_HASH_KEY || randomBytes(24).toString('base64url'),
  };
  const config = loadConfig(baseEnv, root);
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
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TEMPORAL_ADDRESS: endpoints.temporalAddress,
    TEMPORAL_NAMESPACE: endpoints.temporalNamespace,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    DATABASE_URL: endpoints.databaseUrl,
  };
  return { home, config, stack, endpoints, env, down };
}
