// One trace per event on the real stack: a producer span → the bridge's `bridge.accept` (continuing the Kafka record's
// traceparent) → StartWorkflow (client interceptor) → RunWorkflow (workflow interceptors in the bundle) →
// StartActivity → RunActivity (activity interceptor) → the payments.flagged record, whose traceparent names the
// publishing activity's span. Spans are collected by an in-memory exporter behind the product's own wiring.
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { createEvent, paymentInitiatedV1, type EventEnvelope, type PaymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer } from '../../src/kafka/producer';
import { exportOnnx } from '../../src/model/onnx-export';
import { ModelRuntime } from '../../src/model/runtime';
import { generateTrainingSet } from '../../src/model/synthetic';
import { trainLogisticRegression } from '../../src/model/train';
import { activeTraceFields } from '../../src/observability/trace-context';
import { createTracing, SERVICE_NAMES, startProducerSpan, type Tracing } from '../../src/observability/tracing';
import { connectTemporal } from '../../src/temporal/client';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { resolveReviewUpdate, statusQuery } from '../../workflows/payment-saga/payment-saga.messages';
import { createTopics, readTopic, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteSagaRows, INTEGRATION_PII_KEY, sagaTestTopics, seedRiskyUser, testPaymentRoute } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();

/** Log lines the bridge and the activities write, parsed: they must carry the trace and correlation ids. */
const logLines: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'debug', mixin: activeTraceFields },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

describe('tracing on the real stack', () => {
  const { topics, all: allTopics } = sagaTestTopics('it-trace');
  const taskQueue = uniqueName('it-trace');
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  let cli: Tracing;
  let bridgeTracing: Tracing;
  let workerTracing: Tracing;
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let temporal: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;
  let bridge: Bridge;
  const userId = uniqueName('it-trace-user');
  const paymentIds: string[] = [];
  const workflowIds: string[] = [];

  beforeAll(async () => {
    // Three components as in production (the CLI, the bridge, the worker), each with its own service.name.
    cli = createTracing({ serviceName: SERVICE_NAMES.cli, spanProcessors: [processor] });
    bridgeTracing = createTracing({ serviceName: SERVICE_NAMES.bridge, spanProcessors: [processor] });
    workerTracing = createTracing({ serviceName: SERVICE_NAMES.worker, spanProcessors: [processor] });
    kafka = testKafka();
    await createTopics(kafka, allTopics, 3);
    [producer, { client: temporal, connection }, nativeConnection] = await Promise.all([
      connectProducer(kafka),
      connectTemporal({ address: stackEnv.temporalAddress, namespace: stackEnv.temporalNamespace }, { interceptors: bridgeTracing.clientInterceptors() }),
      NativeConnection.connect({ address: stackEnv.temporalAddress }),
    ]);
    db = createDb(stackEnv.databaseUrl, { max: 4 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    models = new ModelRuntime({ modelName: 'fraud' });
    const set = generateTrainingSet({ rows: 6_000, seed: 101 });
    const champion = exportOnnx(trainLogisticRegression(set.X, set.y), { modelName: 'fraud', modelVersion: 'fraud-trace-1' });
    await models.setChampion('fraud-trace-1', champion.bytes, champion.sha256);

    const workflowBundle = await bundleWorkflows(workerTracing.workflowInterceptorModules);
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: stackEnv.temporalNamespace,
      taskQueue,
      workflowBundle,
      activities: createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, topics, logger }),
      ...workerTracing.workerOptions(),
    });
    workerRun = worker.run();
    bridge = new Bridge({ kafka, temporal, producer, routes: [testPaymentRoute(topics.initiated, taskQueue)], logger, metrics: new Registry(), tracer: bridgeTracing.tracer }, { groupId: uniqueName('it-trace-bridge') });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    for (const id of workflowIds) await temporal.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined);
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    if (db) {
      await deleteSagaRows(db.db, { payments: paymentIds, users: [userId], workflows: workflowIds });
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [nativeConnection], connection, kafka, topics: allTopics });
    for (const t of [cli, bridgeTracing, workerTracing]) await t?.shutdown();
  });

  it('follows one flagged payment from the producer to the payments.flagged record in one trace', async () => {
    // A user the champion flags: new device abroad, young account, four payments in the last minute.
    const eventTime = new Date().toISOString();
    await seedRiskyUser(db.db, userId, eventTime);
    const data: PaymentInitiatedV1 = { paymentId: `pay-${randomUUID()}`, userId, merchantId: 'merch-1', amount: 4_800, currency: 'EUR', country: 'NG', merchantCategory: 'crypto', deviceId: 'dev-new', eventTime };
    const event: EventEnvelope<PaymentInitiatedV1> = createEvent(paymentInitiatedV1, { source: 'urn:it', data });
    const workflowId = `payment-${event.id}`;
    paymentIds.push(data.paymentId);
    workflowIds.push(workflowId);

    // What `mainspring produce` does per record: a producer span, its context in the record's headers.
    const produced = startProducerSpan(cli.tracer, topics.initiated);
    await producer.send({ topic: topics.initiated, acks: -1, messages: [{ key: event.subject, value: JSON.stringify(event), headers: produced.headers }] });
    produced.span.end();

    const [flagged] = await readTopic(kafka, topics.flagged, 1, 60_000);
    // The review ends the saga, so RunWorkflow ends and is exported too.
    await eventually(() => temporal.workflow.getHandle(workflowId).query(statusQuery).then((st) => st.phase), (p) => p === 'in-review', { what: 'saga in review' });
    await temporal.workflow.getHandle(workflowId).executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'fraud', reviewer: 'trace-test' }] });
    await temporal.workflow.getHandle(workflowId).result();

    const traceId = produced.span.spanContext().traceId;
    const spans = await eventually(
      async () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
      (all) => all.some((s) => s.name === 'RunWorkflow:paymentSaga'),
      { what: 'workflow span exported' },
    );
    const one = (name: string): ReadableSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found.map((s) => s.name)).toEqual([name]);
      return found[0];
    };
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);
    const service = (s: ReadableSpan) => s.resource.attributes['service.name'];

    // produce → bridge.accept → StartWorkflow → RunWorkflow → StartActivity → RunActivity, parent by parent.
    const produce = one(`produce ${topics.initiated}`);
    const accept = one('bridge.accept');
    const start = one('StartWorkflow:paymentSaga');
    const run = one('RunWorkflow:paymentSaga');
    const schedule = one('StartActivity:publishFlagged');
    const publish = one('RunActivity:publishFlagged');
    expect(produce.parentSpanId).toBeUndefined();
    expect(produce.kind).toBe(SpanKind.PRODUCER);
    expect(accept.parentSpanId).toBe(produce.spanContext().spanId);
    expect(accept.kind).toBe(SpanKind.CONSUMER);
    expect(start.parentSpanId).toBe(accept.spanContext().spanId);
    expect(run.parentSpanId).toBe(start.spanContext().spanId);
    expect(parentOf(schedule)).toBe(run);
    expect(publish.parentSpanId).toBe(schedule.spanContext().spanId);
    expect([service(produce), service(accept), service(start), service(run), service(publish)]).toEqual([
      SERVICE_NAMES.cli,
      SERVICE_NAMES.bridge,
      SERVICE_NAMES.bridge,
      SERVICE_NAMES.worker,
      SERVICE_NAMES.worker,
    ]);
    expect(accept.attributes).toMatchObject({
      'messaging.destination.name': topics.initiated,
      'messaging.kafka.offset': expect.any(Number),
      'messaging.destination.partition.id': expect.any(String),
      'messaging.message.id': event.id,
      temporalWorkflowId: workflowId,
    });
    expect(publish.attributes).toMatchObject({ temporalWorkflowId: workflowId });
    // Every saga activity hangs off the workflow span, in the same trace.
    const activities = spans.filter((s) => s.name.startsWith('RunActivity:'));
    expect(activities.map((s) => s.name)).toEqual(expect.arrayContaining(['RunActivity:assessPayment', 'RunActivity:holdPayment', 'RunActivity:publishFlagged']));
    for (const a of activities) expect(parentOf(parentOf(a)!)).toBe(run);

    // The payments.flagged record continues the trace with the publishing activity as its parent.
    const traceparent = headerOf(flagged, 'traceparent');
    expect(traceparent).toBe(`00-${traceId}-${publish.spanContext().spanId}-01`);

    // The correlation id rode along as baggage: bridge → workflow headers → activity → the record's headers.
    expect(headerOf(flagged, 'baggage')).toBe(`mainspring.correlation_id=${encodeURIComponent(event.correlationid)}`);

    // The bridge's log line for the event carries the trace, its span and the correlation id.
    const accepted = logLines.find((l) => l.msg === 'event accepted' && l.workflowId === workflowId);
    expect(accepted).toMatchObject({ trace_id: traceId, span_id: accept.spanContext().spanId, correlation_id: event.correlationid });
  });
});

function headerOf(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  return value === undefined ? undefined : (Array.isArray(value) ? value[0] : value).toString();
}
