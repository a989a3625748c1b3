import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/project-root';
import { toolPaths } from '../../src/stack/paths';
import { clearStaleStack, StackBusyError, startThrowawayStack, type ThrowawayStack } from '../../src/stack/throwaway';

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
  // A jest run that was killed leaves its services running: stop those whose owning run is gone.
  for (const name of existsSync(stacks) ? readdirSync(stacks) : []) {
    await clearStaleStack(join(stacks, name)).catch((err: unknown) => {
      if (!(err instanceof StackBusyError)) throw err;
    });
  }
  const throwaway = await startThrowawayStack({
    root,
    home: mkdtempSync(join(stacks, 'stack-')),
    partitions: Number(process.env.KAFKA_PARTITIONS ?? 3),
    progress: (line) => process.stderr.write(`[test stack] ${line}\n`),
  });
  (globalThis as { __mainspringTestStack?: ThrowawayStack }).__mainspringTestStack = throwaway;
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'KAFKA_BROKERS', 'DATABASE_URL', 'KAFKA_PARTITIONS', 'MAINSPRING_PII_HASH_KEY'] as const) {
    process.env[name] = throwaway.env[name];
  }
  process.env.MAINSPRING_TEMPORAL_CLI = toolPaths(root).temporalCli;
  if (throwaway.endpoints.temporalUi) process.env.MAINSPRING_TEMPORAL_UI = throwaway.endpoints.temporalUi;
  process.stderr.write(`[test stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s (home ${throwaway.home})\n`);
}
