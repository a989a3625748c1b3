import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { logLevel } from 'kafkajs';
import { createDb } from '../../src/db/client';
import { userRiskProfile } from '../../src/db/schema';
import { createKafka, ensureTopics } from '../../src/kafka/client';
import { testStackEnv, uniqueName } from '../helpers/stack-env';

const stackEnv = testStackEnv();

describe('the local stack runs real services', () => {
  it('Kafka: a produced message is consumed back from a new topic', async () => {
    const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'stack-test', ssl: false }, { logLevel: logLevel.ERROR });
    const topic = uniqueName('stack-roundtrip');
    await ensureTopics(kafka, [topic], 1);
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('stack-test') });
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: 'hello kafka' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value) }),
        });
      });
      expect(received).toEqual({ key: 'k1', value: 'hello kafka' });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });

  it('PostgreSQL: a drizzle insert round-trips through the migrated schema', async () => {
    const { db, close } = createDb(stackEnv.databaseUrl);
    const userId = uniqueName('user');
    try {
      await db.insert(userRiskProfile).values({ userId, riskScore: 0.42, homeCountry: 'DE', knownDevices: ['d1', 'd2'] });
      const rows = await db.select().from(userRiskProfile).where(eq(userRiskProfile.userId, userId));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ userId, riskScore: 0.42, homeCountry: 'DE', knownDevices: ['d1', 'd2'] });
    } finally {
      await db.delete(userRiskProfile).where(eq(userRiskProfile.userId, userId));
      await close();
    }
  });

  it('Temporal: a workflow completes on the dev server and `temporal workflow list` shows it', async () => {
    const taskQueue = uniqueName('stack-test');
    const workflowId = uniqueName('echo');
    const nativeConnection = await NativeConnection.connect({ address: stackEnv.temporalAddress });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: stackEnv.temporalNamespace,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/workflows/echo.workflow'),
    });
    const connection = await Connection.connect({ address: stackEnv.temporalAddress });
    try {
      const client = new Client({ connection, namespace: stackEnv.temporalNamespace });
      const result = await worker.runUntil(
        client.workflow.execute('echoWorkflow', { taskQueue, workflowId, args: [{ message: 'durable' }] }),
      );
      expect(result).toEqual({ echoed: 'DURABLE' });

      const { stdout } = await promisify(execFile)(stackEnv.temporalCli, [
        'workflow', 'list', '--address', stackEnv.temporalAddress, '--namespace', stackEnv.temporalNamespace,
        '--query', `WorkflowId = '${workflowId}'`, '--output', 'json',
      ]);
      const listed = JSON.parse(stdout) as Array<{ execution: { workflowId: string }; status: string }>;
      expect(listed.map((w) => [w.execution.workflowId, w.status])).toEqual([[workflowId, 'WORKFLOW_EXECUTION_STATUS_COMPLETED']]);
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  });
});
