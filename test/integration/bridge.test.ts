import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createEvent, paymentInitiatedV1, paymentLabeledV1, type PaymentInitiatedV1 } from '../../schemas';
import { Bridge, type BridgeOptions } from '../../src/kafka/bridge';
import { DLQ_HEADERS, readDeadLetter } from '../../src/kafka/dlq';
import type { Route, SignalWithStartRoute } from '../../src/kafka/routes';
import { dlqTopic } from '../../src/kafka/topics';
import { createLogger } from '../../src/observability/logger';
import { stackPaths } from '../../stack/paths';
import { findFreePort } from '../../src/lifecycle/ports';
import { ensureSearchAttributes } from '../../src/temporal/setup';
import { LocalTemporal } from '../../stack/temporal';
import { BAD_EVENT_FIXTURES, goodEvents, readNdjson, tooLargeEvent } from '../fixtures/events';
import { committedOffsets, createTopics, deleteTopics, readTopic, testKafka } from '../helpers/kafka';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

function payment(userId: string, i: number): ReturnType<typeof createEvent<typeof paymentInitiatedV1.schema>> {
  const data: PaymentInitiatedV1 = {
    paymentId: uniqueName(`pay-${i}`),
    userId,
    merchantId: 'merch-1',
    amount: 10 + i,
    currency: 'EUR',
    country: 'DE',
    merchantCategory: '5732',
    deviceId: 'dev-1',
  };
  return createEvent(paymentInitiatedV1, { source: 'urn:test', data });
}

/** Everything one scenario needs: its own topic, task queue (no worker: the bridge's job ends at acceptance), group. */
class Scenario {
  readonly topic = uniqueName('it-payments');
  readonly taskQueue = uniqueName('it-bridge');
  readonly groupId = uniqueName('it-bridge');
  readonly bridges: Bridge[] = [];
  producer!: Producer;

  constructor(readonly kafka: Kafka, readonly temporal: Client) {}

  get route(): Route {
    return {
      mode: 'start',
      topic: this.topic,
      eventType: 'payments.initiated',
      workflowType: 'paymentSaga',
      taskQueue: this.taskQueue,
      workflowId: (e) => `payment-${e.envelope.id}`,
    };
  }

  async setup(): Promise<void> {
    await createTopics(this.kafka, [this.topic, dlqTopic(this.topic)], 3);
    this.producer = this.kafka.producer();
    await this.producer.connect();
  }

  async produce(records: Array<{ key: string | null; value: string }>): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: records });
  }

  async startBridge(options: Partial<BridgeOptions> = {}, routes: Route[] = [this.route], temporal = this.temporal, onConsumerStopped?: (err: Error) => void): Promise<{ bridge: Bridge; metrics: Registry }> {
    const metrics = new Registry();
    const bridge = new Bridge({ kafka: this.kafka, temporal, producer: this.producer, routes, logger, metrics, onConsumerStopped }, { groupId: this.groupId, ...options });
    this.bridges.push(bridge);
    await bridge.start();
    return { bridge, metrics };
  }

  async workflowIds(client = this.temporal): Promise<string[]> {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${this.taskQueue}'` })) ids.push(wf.workflowId);
    return ids.sort();
  }

  async endOffsets(): Promise<Map<number, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(this.topic)).map((p) => [p.partition, BigInt(p.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  async fullyCommitted(): Promise<boolean> {
    const [committed, ends] = await Promise.all([committedOffsets(this.kafka, this.groupId, this.topic), this.endOffsets()]);
    return [...ends].every(([p, end]) => (committed.get(p) ?? -1n) === end || end === 0n);
  }

  async teardown(): Promise<void> {
    for (const bridge of this.bridges) await bridge.stop();
    await this.producer.disconnect();
    for await (const wf of this.temporal.workflow.list({ query: `TaskQueue = '${this.taskQueue}' AND ExecutionStatus = 'Running'` })) {
      await this.temporal.workflow.getHandle(wf.workflowId).terminate('test cleanup').catch(() => undefined);
    }
    await deleteTopics(this.kafka, [this.topic, dlqTopic(this.topic)]);
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)).reduce((sum, v) => sum + v.value, 0);
}

describe('bridge on the real stack', () => {
  let kafka: Kafka;
  let connection: Connection;
  let temporal: Client;
  let scenario: Scenario;

  beforeAll(async () => {
    kafka = testKafka();
    connection = await Connection.connect({ address: stackEnv.temporalAddress });
    temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
  });
  afterAll(async () => {
    await connection.close();
  });
  beforeEach(async () => {
    scenario = new Scenario(kafka, temporal);
    await scenario.setup();
  });
  afterEach(async () => {
    await scenario.teardown();
  });

  it('starts exactly one workflow per event, also when events are re-delivered and the bridge restarts mid-stream', async () => {
    const users = Array.from({ length: 12 }, (_, u) => `user-${u}`);
    // Same-key bursts: five payments per user back to back.
    const events = users.flatMap((userId) => Array.from({ length: 5 }, (_, i) => payment(userId, i)));
    const records = events.map((e) => ({ key: e.subject, value: JSON.stringify(e) }));
    const expectedIds = events.map((e) => `payment-${e.id}`).sort();

    await scenario.produce(records);
    const first = await scenario.startBridge();
    await eventually(() => scenario.workflowIds(), (ids) => ids.length === events.length, { what: 'all workflows started' });
    await eventually(() => scenario.fullyCommitted(), Boolean, { what: 'offsets committed' });
    expect(await metricValue(first.metrics, 'mainspring_bridge_accepted_total')).toBe(events.length);

    // The same events again; the first bridge is stopped while it works through them, a second one takes over.
    await scenario.produce(records);
    await eventually(() => metricValue(first.metrics, 'mainspring_bridge_duplicates_total'), (n) => n > 0, { what: 'first duplicates' });
    await first.bridge.stop();
    const second = await scenario.startBridge();
    await eventually(() => scenario.fullyCommitted(), Boolean, { what: 're-delivered offsets committed' });

    expect(await scenario.workflowIds()).toEqual(expectedIds);
    expect(await metricValue(second.metrics, 'mainspring_bridge_accepted_total')).toBe(0);

    // Per key, workflows were handed to Temporal in offset order.
    for (const userId of users.slice(0, 4)) {
      const ofUser = events.filter((e) => e.subject === userId);
      const starts = await Promise.all(ofUser.map(async (e) => (await temporal.workflow.getHandle(`payment-${e.id}`).describe()).startTime.getTime()));
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
    }

    const described = await temporal.workflow.getHandle(expectedIds[0]).describe();
    expect(described.typedSearchAttributes.getAll().map((p) => p.key.name)).toEqual(expect.arrayContaining(['CorrelationId', 'KafkaTopic', 'KafkaPartition', 'KafkaOffset']));
  });

  it('dead-letters every kind of bad record with its reason and starts every good one', async () => {
    const good = ['user-a', 'user-b', 'user-a'].map((u, i) => payment(u, i));
    const bad: Array<{ key: string | null; value: string; code: string; path?: string }> = [
      ...BAD_EVENT_FIXTURES.map((f) => ({ key: 'user-x', value: readNdjson(f.file)[0], code: f.code, path: f.path })),
      { key: 'user-x', value: tooLargeEvent(), code: 'TOO_LARGE' },
      { key: null, value: JSON.stringify(payment('user-y', 9)), code: 'MISSING_KEY' },
      { key: 'pay-1', value: goodEvents()['payments.labeled'][0], code: 'ROUTE_MISMATCH' },
    ];
    // Interleave: good, bad, good, bad...
    const records = bad.flatMap((b, i) => (good[i] ? [{ key: good[i].subject, value: JSON.stringify(good[i]) }, b] : [b]));
    await scenario.produce(records.map(({ key, value }) => ({ key, value })));
    const { metrics } = await scenario.startBridge({ maxEventBytes: 256 * 1024 });

    const dead = await readTopic(kafka, dlqTopic(scenario.topic), bad.length);
    const letters = dead.map((m) => ({ letter: readDeadLetter(m)!, value: m.value?.toString() }));
    expect(letters.map((l) => l.letter.code).sort()).toEqual(bad.map((b) => b.code).sort());
    for (const b of bad) {
      const match = letters.find((l) => l.letter.code === b.code)!;
      expect(match.value).toBe(b.value); // the original bytes, untouched
      expect(match.letter.origin.topic).toBe(scenario.topic);
      expect(match.letter.message.length).toBeGreaterThan(0);
      expect(Date.parse(match.letter.firstFailureAt)).not.toBeNaN();
      if (b.path) expect(match.letter.path).toBe(b.path);
    }
    expect(dead.every((m) => m.headers?.[DLQ_HEADERS.originOffset] !== undefined)).toBe(true);
    await eventually(() => scenario.workflowIds(), (ids) => ids.length === good.length, { what: 'good events started' });
    expect(await scenario.workflowIds()).toEqual(good.map((e) => `payment-${e.id}`).sort());
    await eventually(() => scenario.fullyCommitted(), Boolean, { what: 'stream committed past bad records' });
    expect(await metricValue(metrics, 'mainspring_bridge_dlq_total')).toBe(bad.length);
  });

  it('batches an entity route into signalWithStart, one workflow per entity', async () => {
    const labels = ['fraud-model', 'fraud-model', 'fraud-model'].map((modelName, i) =>
      createEvent(paymentLabeledV1, { source: 'urn:test', data: { ...JSON.parse(goodEvents()['payments.labeled'][0]).data, paymentId: `pay-l${i}`, modelName } }),
    );
    const route: SignalWithStartRoute = {
      mode: 'signalWithStart',
      topic: scenario.topic,
      eventType: 'payments.labeled',
      workflowType: 'learningLoop',
      taskQueue: scenario.taskQueue,
      workflowId: () => 'learning-it-' + scenario.taskQueue,
      signal: 'labels',
      startArgs: () => [{ modelName: 'fraud-model' }],
      maxBatch: 100,
    };
    await scenario.produce(labels.map((e) => ({ key: e.subject, value: JSON.stringify(e) })));
    const { metrics } = await scenario.startBridge({}, [route]);
    await eventually(() => metricValue(metrics, 'mainspring_bridge_accepted_total'), (n) => n === labels.length, { what: 'labels signalled' });
    const history = await temporal.workflow.getHandle(route.workflowId(undefined as never)).fetchHistory();
    const signalled = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    expect(signalled).toBeGreaterThanOrEqual(1);
    expect(signalled).toBeLessThanOrEqual(labels.length);
    expect(await scenario.workflowIds()).toEqual([route.workflowId(undefined as never)]);
  });

  it('reports a consumer that stopped for good (a failure kafkajs does not restart) and commits nothing past it', async () => {
    const events = Array.from({ length: 3 }, (_, i) => payment(`user-${i}`, i));
    // A defect in a route (here: its workflow id) fails the whole batch: kafkajs stops the consumer for good.
    const broken: Route = { ...scenario.route, mode: 'signalWithStart', signal: 'never', startArgs: () => [], maxBatch: 10, workflowId: () => { throw new TypeError('route defect'); } };
    await scenario.produce(events.map((e) => ({ key: e.subject, value: JSON.stringify(e) })));
    const stopped: Error[] = [];
    await scenario.startBridge({}, [broken], temporal, (err) => stopped.push(err));
    await eventually(async () => stopped, (errs) => errs.length > 0, { what: 'consumer stop reported' });
    expect(stopped.map((e) => e.message)).toEqual(['route defect']);
    expect([...(await committedOffsets(kafka, scenario.groupId, scenario.topic)).values()].every((o) => o <= 0n)).toBe(true);
    expect(await scenario.workflowIds()).toEqual([]);
  });

  it('holds the stream while Temporal is down and starts every event exactly once when it returns', async () => {
    // A Temporal server of this test's own, so stopping it disturbs no other test.
    const home = mkdtempSync(join(tmpdir(), 'ms-outage-'));
    const outage = new LocalTemporal({ cli: stackEnv.temporalCli, paths: stackPaths(home), port: await findFreePort(), uiPort: await findFreePort(), namespace: 'default' });
    await outage.start(() => undefined);
    const outageConnection = await Connection.connect({ address: outage.address });
    const outageClient = new Client({ connection: outageConnection, namespace: 'default' });
    // What `mainspring setup` does on any server: the workflows' search attributes (the start carries them).
    await ensureSearchAttributes(outageConnection, 'default');
    try {
      const events = Array.from({ length: 30 }, (_, i) => payment(`user-${i % 7}`, i));
      await outage.stop();
      await scenario.produce(events.map((e) => ({ key: e.subject, value: JSON.stringify(e) })));
      const { metrics } = await scenario.startBridge({ retry: { initialMs: 100, maxMs: 1_000 } }, [scenario.route], outageClient);

      await eventually(() => metricValue(metrics, 'mainspring_bridge_partition_paused'), (n) => n > 0, { what: 'partitions paused' });
      await new Promise((r) => setTimeout(r, 2_000));
      const duringOutage = await committedOffsets(kafka, scenario.groupId, scenario.topic);
      expect([...duringOutage.values()].every((o) => o <= 0n)).toBe(true);

      await outage.start(() => undefined);
      await eventually(() => scenario.fullyCommitted(), Boolean, { what: 'stream drained after recovery', timeoutMs: 90_000 });
      expect(await scenario.workflowIds(outageClient)).toEqual(events.map((e) => `payment-${e.id}`).sort());
      expect(await metricValue(metrics, 'mainspring_bridge_partition_paused')).toBe(0);
      expect(await metricValue(metrics, 'mainspring_bridge_temporal_retries_total')).toBeGreaterThan(0);
      for await (const wf of outageClient.workflow.list({ query: `TaskQueue = '${scenario.taskQueue}'` })) {
        await outageClient.workflow.getHandle(wf.workflowId).terminate('test cleanup');
      }
    } finally {
      await outageConnection.close();
      await outage.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
