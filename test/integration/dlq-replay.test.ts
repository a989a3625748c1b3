import { Client, Connection } from '@temporalio/client';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createEvent, paymentInitiatedV1 } from '../../schemas';
import { Bridge } from '../../src/kafka/bridge';
import { readDlq, replayDlq } from '../../src/kafka/dlq';
import { connectProducer } from '../../src/kafka/producer';
import type { Route } from '../../src/kafka/routes';
import { dlqTopic } from '../../src/kafka/topics';
import { createLogger } from '../../src/observability/logger';
import { createTopics, deleteTopics, testKafka } from '../helpers/kafka';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();

describe('dlq replay', () => {
  let kafka: Kafka;
  let producer: Producer;
  let connection: Connection;
  let temporal: Client;
  const topic = uniqueName('it-replay');
  const taskQueue = uniqueName('it-replay');

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, [topic, dlqTopic(topic)], 1);
    producer = await connectProducer(kafka);
    connection = await Connection.connect({ address: stackEnv.temporalAddress });
    temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
  });
  afterAll(async () => {
    for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      await temporal.workflow.getHandle(wf.workflowId).terminate('test cleanup').catch(() => undefined);
    }
    await producer.disconnect();
    await connection.close();
    await deleteTopics(kafka, [topic, dlqTopic(topic)]);
  });

  it('re-sends a fixed event with its id: its workflow starts once, however often it is replayed', async () => {
    const route: Route = { mode: 'start', topic, eventType: 'payments.initiated', workflowType: 'paymentSaga', taskQueue, workflowId: (e) => `payment-${e.envelope.id}` };
    const event = createEvent(paymentInitiatedV1, {
      source: 'urn:test',
      data: { paymentId: uniqueName('pay'), userId: 'user-r', merchantId: 'm', amount: 5, currency: 'EUR', country: 'DE', merchantCategory: '5411', deviceId: 'd' },
    });
    const value = JSON.stringify(event);
    await producer.send({ topic, messages: [{ key: event.subject, value }] });

    // A bridge configured with too small a size limit dead-letters it; the "fix" is the default limit.
    const strict = new Bridge({ kafka, temporal, producer, routes: [route], logger: createLogger('silent'), metrics: new Registry() }, { groupId: uniqueName('strict'), maxEventBytes: 100 });
    await strict.start();
    const letters = await eventually(() => readDlq(kafka, dlqTopic(topic)), (r) => r.length === 1, { what: 'record dead-lettered' });
    await strict.stop();
    expect(letters[0]).toMatchObject({ eventId: event.id, letter: { code: 'TOO_LARGE', origin: { topic, partition: 0, offset: '0' } } });

    const first = await replayDlq(producer, letters);
    const second = await replayDlq(producer, letters);
    expect(first.replayed).toEqual([{ eventId: event.id, topic }]);
    expect(second.replayed).toEqual([{ eventId: event.id, topic }]);

    const fixed = new Bridge({ kafka, temporal, producer, routes: [route], logger: createLogger('silent'), metrics: new Registry() }, { groupId: uniqueName('fixed') });
    await fixed.start();
    try {
      // Three records carry this event now (original + two replays): exactly one workflow.
      const ids = await eventually(async () => {
        const found: string[] = [];
        for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) found.push(wf.workflowId);
        return found;
      }, (found) => found.length >= 1, { what: 'workflow started' });
      await new Promise((r) => setTimeout(r, 2_000));
      const after: string[] = [];
      for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) after.push(wf.workflowId);
      expect(ids).toEqual([`payment-${event.id}`]);
      expect(after).toEqual([`payment-${event.id}`]);
    } finally {
      await fixed.stop();
    }
  });
});
