import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka, ensureTopics } from '../../src/kafka/client';
import { projectRoot } from '../../src/config/project-root';
import { toolPaths } from '../../stack/paths';
import { clearStaleStack, StackBusyError, startThrowawayStack, type ThrowawayStack } from '../../stack/throwaway';

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
  await warmGroupCoordinator(throwaway.env.KAFKA_BROKERS!.split(','));
  process.env.MAINSPRING_TEMPORAL_CLI = toolPaths(root).temporalCli;
  // Suites that pause a service of the stack (outbox.test.ts: the broker) find its pid file under it.
  process.env.MAINSPRING_TEST_STACK_HOME = throwaway.home;
  if (throwaway.endpoints.temporalUi) process.env.MAINSPRING_TEMPORAL_UI = throwaway.endpoints.temporalUi;
  process.stderr.write(`[test stack] up in ${((Date.now() - started) / 1000).toFixed(1)} s (home ${throwaway.home})\n`);
}

/**
 * Joins one consumer group before any test runs: the first join on a fresh broker creates __consumer_offsets and
 * loads its coordinators, and tests whose groups met that state (two bridges joining at once) waited minutes for
 * their first partition. Bounded; a broker that is slow here is left to the tests.
 */
async function warmGroupCoordinator(brokers: string[]): Promise<void> {
  const kafka = createKafka({ brokers, clientId: 'mainspring-test-setup', ssl: false, sasl: undefined });
  const topic = 'mainspring-test-warm-up';
  await ensureTopics(kafka, [topic], 1);
  const consumer = kafka.consumer({ groupId: 'mainspring-test-warm-up' });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ eachMessage: async () => undefined });
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([joined, new Promise((resolve) => (bound = setTimeout(resolve, 60_000)))]);
    clearTimeout(bound);
  } finally {
    await consumer.disconnect();
  }
}
