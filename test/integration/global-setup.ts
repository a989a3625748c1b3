import { chmodSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/env';
import { projectRoot } from '../../src/config/project-root';
import { Stack } from '../../src/stack/manager';
import { isAlive, stopFromPidFile } from '../../src/stack/processes';
import { toolPaths } from '../../src/stack/paths';
import { findFreePort } from '../../src/stack/ports';

/**
 * Brings up a real stack (Temporal dev server, Kafka, PostgreSQL) on free ports in a throw-away home, so tests
 * never touch the developer's own stack. Services given by TEMPORAL_ADDRESS / KAFKA_BROKERS / DATABASE_URL are
 * used as they are (CI against real clusters).
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const root = projectRoot();
  const stacks = join(root, '.mainspring', 'test-stacks');
  mkdirSync(stacks, { recursive: true });
  await removeOrphanedStacks(stacks);
  const home = mkdtempSync(join(stacks, 'stack-'));
  writeFileSync(join(home, 'owner.pid'), String(process.pid));
  // mkdtemp makes the folder private; PostgreSQL runs as its own account and must reach its data dir inside.
  chmodSync(home, 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAINSPRING_HOME: home,
    MAINSPRING_TEMPORAL_PORT: String(await findFreePort()),
    MAINSPRING_TEMPORAL_UI_PORT: String(await findFreePort()),
    MAINSPRING_KAFKA_PORT: String(await findFreePort()),
    MAINSPRING_KAFKA_CONTROLLER_PORT: String(await findFreePort()),
    MAINSPRING_POSTGRES_PORT: String(await findFreePort()),
    KAFKA_PARTITIONS: process.env.KAFKA_PARTITIONS ?? '3',
  };
  const config = loadConfig(env, root);
  const stack = new Stack(config);
  (globalThis as { __mainspringTestStack?: Stack }).__mainspringTestStack = stack;
  const endpoints = await stack.up((line) => process.stderr.write(`[test stack] ${line}\n`)).catch(async (err: unknown) => {
    await stack.down({ wipe: true });
    rmSync(home, { recursive: true, force: true });
    throw err;
  });

  process.env.TEMPORAL_ADDRESS = endpoints.temporalAddress;
  process.env.TEMPORAL_NAMESPACE = endpoints.temporalNamespace;
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers.join(',');
  process.env.DATABASE_URL = endpoints.databaseUrl;
  process.env.KAFKA_PARTITIONS = String(config.kafka.partitions);
  process.env.MAINSPRING_TEMPORAL_CLI = toolPaths(root).temporalCli;
  if (endpoints.temporalUi) process.env.MAINSPRING_TEMPORAL_UI = endpoints.temporalUi;
  process.stderr.write(`[test stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s (home ${home})\n`);
}

/** A jest run that was killed leaves its services running: stop those whose owning run is gone. */
async function removeOrphanedStacks(stacks: string): Promise<void> {
  for (const name of readdirSync(stacks)) {
    const home = join(stacks, name);
    const owner = Number(existsSync(join(home, 'owner.pid')) ? readFileSync(join(home, 'owner.pid'), 'utf8') : 0);
    if (owner > 0 && isAlive(owner)) continue;
    const run = join(home, 'run');
    if (existsSync(run)) for (const pidFile of readdirSync(run)) await stopFromPidFile(join(run, pidFile), 10_000);
    rmSync(home, { recursive: true, force: true });
  }
}
