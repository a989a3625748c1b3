// CloudEvents producers on the real stack: events written by the official CloudEvents JS SDK (its Kafka binding, in
// binary and structured mode) go Kafka → bridge → Temporal → the payment saga with the real activities, which emit
// what they publish in binary mode; a refused event lands in the DLQ as it was sent.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { CloudEvent, Kafka as CloudEventsKafka } from 'cloudevents';
import { eq } from 'drizzle-orm';
import type { IHeaders, Kafka, Message, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import type { EventEnvelope, PaymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { decision } from '../../src/db/schema';
import { Bridge } from '../../src/kafka/bridge';
import { decodeRecord } from '../../src/kafka/cloudevents-binding';
import { readDlq } from '../../src/kafka/dlq';
import { connectProducer } from '../../src/kafka/producer';
import { dlqTopic } from '../../src/kafka/topics';
import { ModelRuntime } from '../../src/model/runtime';
import { createLogger } from '../../src/observability/logger';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { createTopics, readTopic, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteSagaRows, INTEGRATION_PII_KEY, SagaFixtures, sagaTestTopics, testPaymentRoute, trainedFraudModel } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const fixtures = new SagaFixtures('it-ce');
const { created } = fixtures;

/** A payment as another team's producer sends it: only the attributes CloudEvents requires, plus what it chooses. */
function paymentCloudEvent(userId: string, extra: { correlationid?: string; subject?: string } = {}): CloudEvent<PaymentInitiatedV1> {
  const id = `ce-${randomUUID()}`;
  const data: PaymentInitiatedV1 = { paymentId: `pay-${randomUUID()}`, userId, merchantId: 'merch-1', amount: 20, currency: 'EUR', country: 'DE', merchantCategory: 'grocery', deviceId: 'dev-home' };
  created.payments.add(data.paymentId);
  created.workflows.add(`payment-${id}`);
  // partitionkey: the SDK's Kafka binding maps it to the record key, which is what mainspring partitions by.
  return new CloudEvent<PaymentInitiatedV1>({ id, source: 'urn:acme:checkout', type: 'payments.initiated', datacontenttype: 'application/json', partitionkey: userId, data, ...extra });
}

/**
 * The SDK's binary message as a kafkajs producer must send it: the SDK leaves the data an object and writes a header
 * for every unset attribute with the value undefined, which kafkajs cannot encode (README, Producing events).
 */
function binaryRecord(event: CloudEvent<PaymentInitiatedV1>): Message {
  const message = CloudEventsKafka.binary(event);
  const headers = Object.fromEntries(Object.entries(message.headers).filter(([, value]) => value !== undefined));
  return { key: message.key, value: JSON.stringify(message.value), headers, timestamp: message.timestamp };
}

function structuredRecord(event: CloudEvent<PaymentInitiatedV1>): Message {
  const message = CloudEventsKafka.structured(event);
  return { key: message.key, value: message.value, headers: message.headers as IHeaders, timestamp: message.timestamp };
}


describe('CloudEvents producers on the real stack', () => {
  const { topics, all: allTopics } = sagaTestTopics('it-ce');
  const taskQueue = uniqueName('it-ce');
  let kafka: Kafka;
  let producer: Producer;
  let sdkProducer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let temporal: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;
  let bridge: Bridge;

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, allTopics, 3);
    // Another team's producer: plain kafkajs carrying what the CloudEvents SDK's Kafka binding makes.
    sdkProducer = kafka.producer();
    [producer, , connection, nativeConnection] = await Promise.all([
      // What the saga publishes (payments.scored) goes out in binary mode, as MAINSPRING_CLOUDEVENTS_MODE=binary sets.
      connectProducer(kafka, { cloudEventsMode: 'binary' }),
      sdkProducer.connect(),
      Connection.connect({ address: stackEnv.temporalAddress }),
      NativeConnection.connect({ address: stackEnv.temporalAddress }),
    ]);
    temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
    db = createDb(stackEnv.databaseUrl, { max: 6 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    models = new ModelRuntime({ modelName: 'fraud' });
    const champion = trainedFraudModel(101, 'fraud-it-ce-1');
    await models.setChampion('fraud-it-ce-1', champion.bytes, champion.sha256);

    const activities = createActivities({ db: db.db, cloudEventsMode: 'binary', models, piiHashKey: INTEGRATION_PII_KEY, topics, logger });
    worker = await Worker.create({ connection: nativeConnection, namespace: stackEnv.temporalNamespace, taskQueue, workflowBundle: await bundleWorkflows(), activities });
    workerRun = worker.run();
    bridge = new Bridge({ kafka, temporal, producer, routes: [testPaymentRoute(topics.initiated, taskQueue)], logger, metrics: new Registry() }, { groupId: uniqueName('it-ce-bridge') });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    for (const workflowId of created.workflows) {
      await temporal.workflow.getHandle(workflowId).terminate('test cleanup').catch(() => undefined);
    }
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    await sdkProducer?.disconnect();
    if (db) {
      await deleteSagaRows(db.db, created);
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [nativeConnection], connection, kafka, topics: allTopics });
  });

  async function workflowIdsOnQueue(): Promise<string[]> {
    const ids: string[] = [];
    for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) ids.push(wf.workflowId);
    return ids.sort();
  }

  /** The envelope the bridge started the saga with (its first history event's input). */
  async function sagaInput(workflowId: string): Promise<EventEnvelope<PaymentInitiatedV1>> {
    const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return (JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as { envelope: EventEnvelope<PaymentInitiatedV1> }).envelope;
  }

  it('starts exactly one saga per SDK event in binary and structured mode, with and without correlationid, and dead-letters none', async () => {
    const users = await Promise.all([1, 2, 3, 4].map(() => fixtures.benignUser(db.db)));
    const binaryPlain = paymentCloudEvent(users[0]);
    const binaryCorrelated = paymentCloudEvent(users[1], { correlationid: 'corr-binary-1' });
    const structuredPlain = paymentCloudEvent(users[2]);
    const structuredCorrelated = paymentCloudEvent(users[3], { correlationid: 'corr-structured-1', subject: users[3] });
    const records = [binaryRecord(binaryPlain), binaryRecord(binaryCorrelated), structuredRecord(structuredPlain), structuredRecord(structuredCorrelated)];
    // Each sent twice: a producer retry or a replay must not start a second saga.
    await sdkProducer.send({ topic: topics.initiated, acks: -1, messages: [...records, ...records] });

    const events = [binaryPlain, binaryCorrelated, structuredPlain, structuredCorrelated];
    const expectedIds = events.map((e) => `payment-${e.id}`).sort();
    const rows = await eventually(
      () => Promise.all(events.map(async (e) => (await db.db.select().from(decision).where(eq(decision.paymentId, e.data!.paymentId)))[0])),
      (r) => r.every((row) => row?.status === 'approved'),
      { timeoutMs: 90_000, what: 'a decision for each CloudEvents payment' },
    );
    expect(rows.map((r) => r.workflowId).sort()).toEqual(expectedIds);
    // Linger: a second start (or a DLQ write) would show up right behind.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await workflowIdsOnQueue()).toEqual(expectedIds);
    expect(await readDlq(kafka, dlqTopic(topics.initiated))).toEqual([]);

    // Defaults: correlationid ← id, subject ← record key (partitionkey); what the producer set is kept.
    const [binaryInput, correlatedInput, structuredInput, structuredCorrelatedInput] = await Promise.all(events.map((e) => sagaInput(`payment-${e.id}`)));
    expect(binaryInput).toMatchObject({ id: binaryPlain.id, correlationid: binaryPlain.id, subject: users[0], dataschema: 'payments.initiated/v1', time: binaryPlain.time });
    expect(correlatedInput).toMatchObject({ correlationid: 'corr-binary-1', subject: users[1] });
    expect(structuredInput).toMatchObject({ id: structuredPlain.id, correlationid: structuredPlain.id, subject: users[2], dataschema: 'payments.initiated/v1' });
    expect(structuredCorrelatedInput).toMatchObject({ correlationid: 'corr-structured-1', subject: users[3] });

    // What the sagas published (payments.scored) went out in binary mode and reads back through the same decoder.
    const scored = await readTopic(kafka, topics.scored, events.length, 30_000);
    const decoded = scored.map((m) => decodeRecord(m));
    expect(decoded.map((d) => d.mode)).toEqual(events.map(() => 'binary'));
    expect(decoded.map((d) => (d.ok ? (d.data as { paymentId: string }).paymentId : d.message)).sort()).toEqual(events.map((e) => e.data!.paymentId).sort());
  });

  it('takes a binary event without ce_time at its record timestamp', async () => {
    const userId = await fixtures.benignUser(db.db);
    const event = paymentCloudEvent(userId);
    const record = binaryRecord(event);
    const { ce_time: _time, ...headers } = record.headers as Record<string, unknown>;
    const recordTime = Date.now() - 60_000;
    await sdkProducer.send({ topic: topics.initiated, acks: -1, messages: [{ ...record, headers: headers as IHeaders, timestamp: String(recordTime) }] });

    const input = await eventually(() => sagaInput(`payment-${event.id}`).catch(() => undefined), (e) => e !== undefined, { timeoutMs: 60_000, what: 'the saga of the event without ce_time' });
    expect(input!.time).toBe(new Date(recordTime).toISOString());
  });

  it('dead-letters a binary event without ce_source with the reason, its original bytes and its original headers', async () => {
    const userId = uniqueName('it-ce-nosource');
    // strict=false: the SDK itself refuses to build an event without a source.
    const data = { paymentId: `pay-${randomUUID()}`, userId, merchantId: 'merch-1', amount: 20, currency: 'EUR', country: 'DE', merchantCategory: 'grocery', deviceId: 'dev-home' };
    const id = `ce-${randomUUID()}`;
    created.workflows.add(`payment-${id}`);
    const event = new CloudEvent<PaymentInitiatedV1>({ id, type: 'payments.initiated', datacontenttype: 'application/json', partitionkey: userId, data }, false);
    const record = binaryRecord(event);
    await sdkProducer.send({ topic: topics.initiated, acks: -1, messages: [record] });

    const [letter] = await eventually(() => readDlq(kafka, dlqTopic(topics.initiated)), (r) => r.length === 1, { timeoutMs: 60_000, what: 'the event without ce_source in the DLQ' });
    expect(letter.letter).toMatchObject({ code: 'ENVELOPE_INVALID', message: 'source: required CloudEvents attribute is missing (header ce_source)', path: 'source', origin: { topic: topics.initiated } });
    expect(letter.key).toBe(userId);
    expect(letter.value?.toString('utf8')).toBe(record.value);
    expect(letter.eventId).toBe(id);
    for (const [name, value] of Object.entries(record.headers ?? {})) {
      if (value !== undefined) expect(`${name}: ${letter.headers[name]?.toString()}`).toBe(`${name}: ${String(value)}`);
    }
    expect(await workflowIdsOnQueue()).not.toContain(`payment-${id}`);
  });
});
