// `mainspring run` as users start it (the built CLI, a process of its own) against the test stack: bridge and worker
// in one process start every saga eagerly on that worker, decide the payments, and SIGTERM ends it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inArray } from 'drizzle-orm';
import type { Producer } from 'kafkajs';
import type { EventEnvelope, PaymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { decision } from '../../src/db/schema';
import { connectProducer } from '../../src/kafka/producer';
import { ALL_TOPICS } from '../../src/kafka/topics';
import { projectRoot } from '../../src/config/project-root';
import { findFreePort } from '../../src/lifecycle/ports';
import { createTopics, testKafka } from '../helpers/kafka';
import { deleteSagaRows, SagaFixtures } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();

describe('mainspring run (CLI)', () => {
  const fixtures = new SagaFixtures('it-run');
  let db: DbHandle;
  let producer: Producer;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    const kafka = testKafka();
    await createTopics(kafka, [...ALL_TOPICS], 3);
    producer = await connectProducer(kafka);
    db = createDb(stackEnv.databaseUrl, { max: 2 });
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await producer?.disconnect();
    if (db) {
      await deleteSagaRows(db.db, { payments: fixtures.created.payments, users: fixtures.created.users, workflows: fixtures.created.workflows });
      await db.close();
    }
  });

  it('starts sagas eagerly on its own worker, decides them, and ends cleanly on SIGTERM', async () => {
    const bridgePort = await findFreePort();
    child = spawn(process.execPath, [join(projectRoot(), 'bin', 'mainspring'), 'run', '--group', uniqueName('it-run-bridge')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stackEnv.temporalAddress,
        TEMPORAL_NAMESPACE: stackEnv.temporalNamespace,
        KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
        DATABASE_URL: stackEnv.databaseUrl,
        MAINSPRING_PII_HASH_KEY: 'integration-run-command-key-0123',
        MAINSPRING_BRIDGE_METRICS_PORT: String(bridgePort),
        MAINSPRING_WORKER_METRICS_PORT: String(await findFreePort()),
        MAINSPRING_WORKER_SDK_METRICS_PORT: String(await findFreePort()),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await eventually(async () => output, (o) => o.includes('bridge running'), { what: `"bridge running" in: ${output.slice(-500)}`, timeoutMs: 90_000 });

    const events: Array<EventEnvelope<PaymentInitiatedV1>> = [];
    for (let i = 0; i < 5; i++) events.push(fixtures.payment({ userId: await fixtures.benignUser(db.db) }, new Date().toISOString()));
    await producer.send({ topic: 'payments.initiated', acks: -1, messages: events.map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
    const rows = await eventually(
      () => db.db.select({ status: decision.status }).from(decision).where(inArray(decision.paymentId, events.map((e) => e.data.paymentId))),
      (r) => r.length === events.length,
      { what: '5 decisions', timeoutMs: 90_000 },
    );
    expect(rows.every((r) => r.status === 'approved')).toBe(true);

    const metrics = await (await fetch(`http://127.0.0.1:${bridgePort}/metrics`)).text();
    const eager = Number(/mainspring_bridge_eager_starts_total\{topic="payments\.initiated"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(eager).toBeGreaterThanOrEqual(events.length);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
    expect(output).toMatch(/"component":"run".*"msg":"shutdown complete"/);
  });
});
