// `mainspring setup` against the test stack's real services: a namespace of its own is registered with mainspring's
// search attributes through the operator API, topics get the configured layout, and a second run changes nothing.
import { Connection } from '@temporalio/client';
import { logLevel } from 'kafkajs';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../../src/config/env';
import { createKafka, ensureTopics } from '../../src/kafka/client';
import { ALL_TOPICS } from '../../src/kafka/topics';
import { setupCluster } from '../../src/lifecycle/setup';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { ensureNamespace, ensureSearchAttributes, TemporalSetupError } from '../../src/temporal/setup';
import { testStackEnv, uniqueName } from '../helpers/stack-env';

const stackEnv = testStackEnv();
const { IndexedValueType } = temporal.api.enums.v1;

describe('mainspring setup', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: stackEnv.temporalAddress });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('registers a new namespace with every search attribute, and a second run finds everything present', async () => {
    const namespace = uniqueName('setup-it');
    const config = loadConfig({ ...process.env, TEMPORAL_NAMESPACE: namespace, TEMPORAL_NAMESPACE_RETENTION_DAYS: '2' });
    const first = await setupCluster(config, { parts: ['temporal'] });
    expect(first).toEqual([
      { part: 'temporal', what: `namespace ${namespace}`, outcome: 'registered (retention 2 d)' },
      { part: 'temporal', what: 'search attributes', outcome: `${Object.keys(SEARCH_ATTRIBUTES).length} added, 0 present` },
    ]);
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(2 * 86_400);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of Object.values(SEARCH_ATTRIBUTES)) expect(customAttributes?.[key.name]).toBeDefined();
    expect(customAttributes?.RiskScore).toBe(IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE);
    expect(customAttributes?.KafkaOffset).toBe(IndexedValueType.INDEXED_VALUE_TYPE_INT);

    const second = await setupCluster(config, { parts: ['temporal'] });
    expect(second.map((s) => s.outcome)).toEqual(['present', `0 added, ${Object.keys(SEARCH_ATTRIBUTES).length} present`]);
  });

  it('refuses, naming it, an attribute that exists with another type, and changes nothing', async () => {
    const namespace = uniqueName('setup-it-clash');
    const config = loadConfig({ ...process.env, TEMPORAL_NAMESPACE: namespace });
    await ensureNamespace(connection, namespace, config.temporal.retentionDays);
    // Registered a moment ago: retry until the operator API knows the namespace, then add Decision as an Int.
    for (let i = 0; ; i++) {
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { Decision: IndexedValueType.INDEXED_VALUE_TYPE_INT } });
        break;
      } catch (err) {
        if (i > 60) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const refused = await ensureSearchAttributes(connection, namespace).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TemporalSetupError);
    expect((refused as Error).message).toContain('Decision is INDEXED_VALUE_TYPE_INT, mainspring writes INDEXED_VALUE_TYPE_KEYWORD');
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(['Decision']);
  });

  it('creates missing topics with the configured partitions and min.insync.replicas, and reports the layout of present ones', async () => {
    const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'setup-it', ssl: false }, { logLevel: logLevel.ERROR });
    const config = loadConfig({ ...process.env, KAFKA_PARTITIONS: '64', KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '1' });
    const steps = await setupCluster(config, { parts: ['kafka'] });
    // The test stack created every topic already, with fewer partitions: reported, not changed.
    const topicSteps = steps.filter((s) => s.what.startsWith('topic '));
    expect(topicSteps).toHaveLength(ALL_TOPICS.length);
    expect(steps).toContainEqual({ part: 'kafka', what: `outbox progress topics (${config.kafka.outboxShards} shards)`, outcome: expect.stringContaining('mainspring-outbox-0.progress') });
    for (const step of topicSteps) expect(step.outcome).toMatch(/^present, \d+ partitions × 1 replicas; \d+ partitions, 64 configured: not changed/);

    const progress = await (async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: ['mainspring-outbox-0.progress'] });
        const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'mainspring-outbox-0.progress', configNames: ['cleanup.policy'] }], includeSynonyms: false });
        return { partitions: topics[0].partitions.length, policy: configs.resources[0].configEntries[0]?.configValue };
      } finally {
        await admin.disconnect();
      }
    })();
    expect(progress).toEqual({ partitions: 1, policy: 'compact' });

    const topic = uniqueName('setup-it-topic');
    // min.insync.replicas 2 on one replica (no acks=all write could succeed): a value no default gives.
    await ensureTopics(kafka, [topic], { partitions: 2, replicationFactor: 1, minInsyncReplicas: 2 });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0].partitions).toHaveLength(2);
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
      expect(configs.resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });
});
