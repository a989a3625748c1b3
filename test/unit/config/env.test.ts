import { ConfigError, DEV_PII_HASH_KEY, loadConfig, secretPiiHashKey } from '../../../src/config/env';

const SECRET_KEY = 'a-secret-key-of-32-characters-xy';

describe('loadConfig', () => {
  it('uses the local stack when no address variable is set', () => {
    const config = loadConfig({}, '/repo');
    expect(config.home).toBe('/repo/.mainspring');
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', external: false, namespace: 'default' });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], external: false, partitions: 6 });
    expect(config.database).toMatchObject({ url: 'postgres://mainspring:mainspring@127.0.0.1:5432/mainspring', external: false });
  });

  it('treats every service given by the environment as external', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'tc.example:7233', KAFKA_BROKERS: 'k1:9092, k2:9092', DATABASE_URL: 'postgres://u:p@db/x', MAINSPRING_KAFKA_PORT: '19092', MAINSPRING_PII_HASH_KEY: SECRET_KEY }, '/repo');
    expect(config.temporal).toMatchObject({ address: 'tc.example:7233', external: true });
    expect(config.kafka).toMatchObject({ brokers: ['k1:9092', 'k2:9092'], external: true, localPort: 19092 });
    expect(config.database).toMatchObject({ url: 'postgres://u:p@db/x', external: true });
  });

  it('refuses the public development PII key to a worker or bridge of a shared Temporal cluster, and says what to set', () => {
    const shared = loadConfig({ TEMPORAL_ADDRESS: 'tc.example:7233' }, '/repo');
    expect(() => secretPiiHashKey(shared)).toThrow(ConfigError);
    expect(() => secretPiiHashKey(shared)).toThrow(/MAINSPRING_PII_HASH_KEY.*TEMPORAL_ADDRESS.*openssl rand/s);
    expect(() => secretPiiHashKey(loadConfig({ TEMPORAL_ADDRESS: 'tc.example:7233', MAINSPRING_PII_HASH_KEY: ` ${DEV_PII_HASH_KEY} ` }, '/repo'))).toThrow(/development key is public/);
    expect(secretPiiHashKey(loadConfig({ TEMPORAL_ADDRESS: 'tc.example:7233', MAINSPRING_PII_HASH_KEY: SECRET_KEY }, '/repo'))).toBe(SECRET_KEY);
    // Commands that never hash load the same configuration without it; the local stack keeps working out of the box.
    expect(shared.temporal.address).toBe('tc.example:7233');
    expect(secretPiiHashKey(loadConfig({}, '/repo'))).toBe(DEV_PII_HASH_KEY);
  });

  it('names every invalid variable', () => {
    expect(() => loadConfig({ MAINSPRING_KAFKA_PORT: 'ninety', KAFKA_PARTITIONS: '0' })).toThrow(ConfigError);
    try {
      loadConfig({ MAINSPRING_KAFKA_PORT: 'ninety', KAFKA_PARTITIONS: '0' });
    } catch (err) {
      expect((err as Error).message).toMatch(/MAINSPRING_KAFKA_PORT/);
      expect((err as Error).message).toMatch(/KAFKA_PARTITIONS/);
    }
  });

  it('writes emitted events in structured CloudEvents mode unless MAINSPRING_CLOUDEVENTS_MODE says binary, and names a bad value', () => {
    expect(loadConfig({}, '/repo').kafka.cloudEventsMode).toBe('structured');
    expect(loadConfig({ MAINSPRING_CLOUDEVENTS_MODE: '' }, '/repo').kafka.cloudEventsMode).toBe('structured');
    expect(loadConfig({ MAINSPRING_CLOUDEVENTS_MODE: ' binary ' }, '/repo').kafka.cloudEventsMode).toBe('binary');
    expect(() => loadConfig({ MAINSPRING_CLOUDEVENTS_MODE: 'avro' }, '/repo')).toThrow('MAINSPRING_CLOUDEVENTS_MODE: must be "structured" or "binary", got "avro"');
  });

  it('names the outbox transactional ids mainspring-outbox-<shard> unless a deployment chooses its own prefix, and refuses one no topic could carry', () => {
    expect(loadConfig({}, '/repo').kafka.outboxTransactionalIdPrefix).toBe('mainspring-outbox');
    expect(loadConfig({ MAINSPRING_OUTBOX_TRANSACTIONAL_ID_PREFIX: ' staging.mainspring-outbox ' }, '/repo').kafka.outboxTransactionalIdPrefix).toBe('staging.mainspring-outbox');
    expect(() => loadConfig({ MAINSPRING_OUTBOX_TRANSACTIONAL_ID_PREFIX: 'team a/outbox' }, '/repo')).toThrow(
      'MAINSPRING_OUTBOX_TRANSACTIONAL_ID_PREFIX: must be 1–200 of A–Z a–z 0–9 . _ - (it names Kafka topics), got "team a/outbox"',
    );
  });

  it('refuses half-configured TLS and SASL', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/c.pem' })).toThrow(/TEMPORAL_TLS_KEY/);
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(/KAFKA_SASL_PASSWORD/);
  });
  it('reads the topic layout setup creates, and refuses a min.insync.replicas above the replication factor', () => {
    const config = loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2', TEMPORAL_NAMESPACE_RETENTION_DAYS: '30' });
    expect(config.kafka).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(config.temporal.retentionDays).toBe(30);
    expect(loadConfig({}).kafka.replicationFactor).toBeUndefined();
    expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(/KAFKA_MIN_INSYNC_REPLICAS=2 is more than KAFKA_REPLICATION_FACTOR=1/);
  });
});
