import { ConfigError, loadConfig } from '../../../src/config/env';

describe('loadConfig', () => {
  it('uses the local stack when no address variable is set', () => {
    const config = loadConfig({}, '/repo');
    expect(config.home).toBe('/repo/.mainspring');
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', external: false, namespace: 'default' });
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], external: false, partitions: 6 });
    expect(config.database).toMatchObject({ url: 'postgres://mainspring:mainspring@127.0.0.1:5432/mainspring', external: false });
  });

  it('treats every service given by the environment as external', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'tc.example:7233', KAFKA_BROKERS: 'k1:9092, k2:9092', DATABASE_URL: 'postgres://u:p@db/x', MAINSPRING_KAFKA_PORT: '19092' }, '/repo');
    expect(config.temporal).toMatchObject({ address: 'tc.example:7233', external: true });
    expect(config.kafka).toMatchObject({ brokers: ['k1:9092', 'k2:9092'], external: true, localPort: 19092 });
    expect(config.database).toMatchObject({ url: 'postgres://u:p@db/x', external: true });
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

  it('refuses half-configured TLS and SASL', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/c.pem' })).toThrow(/TEMPORAL_TLS_KEY/);
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(/KAFKA_SASL_PASSWORD/);
  });
});
