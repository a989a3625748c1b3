// Connections to real clusters: every certificate/key file is checked when the configuration loads, and the error
// names the variable and the path (not a TLS failure inside a connect later).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/env';
import { createDb } from '../../../src/db/client';
import { createKafka, kafkaSslOptions } from '../../../src/kafka/client';
import { temporalDataConverter } from '../../../src/temporal/client';

describe('connection settings validated at config load', () => {
  let dir: string;
  let pem: string;
  const missing = '/nonexistent/mainspring/ca.pem';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ms-conn-'));
    pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const loadError = (env: NodeJS.ProcessEnv): Error => {
    try {
      loadConfig(env, '/repo');
    } catch (err) {
      return err as Error;
    }
    throw new Error('loadConfig accepted the configuration');
  };

  it.each([
    ['TEMPORAL_TLS_CA', { TEMPORAL_TLS_CA: missing }],
    ['TEMPORAL_TLS_CERT', { TEMPORAL_TLS_CERT: missing, TEMPORAL_TLS_KEY: '__PEM__' }],
    ['TEMPORAL_TLS_KEY', { TEMPORAL_TLS_CERT: '__PEM__', TEMPORAL_TLS_KEY: missing }],
    ['KAFKA_SSL_CA_FILE', { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing }],
    ['KAFKA_SSL_CERT_FILE', { KAFKA_SSL_CERT_FILE: missing, KAFKA_SSL_KEY_FILE: '__PEM__' }],
    ['KAFKA_SSL_KEY_FILE', { KAFKA_SSL_CERT_FILE: '__PEM__', KAFKA_SSL_KEY_FILE: missing }],
    ['DATABASE_SSL_CA_FILE', { DATABASE_SSL_CA_FILE: missing }],
    ['DATABASE_URL sslrootcert', { DATABASE_URL: `postgres://u:secretpw@db.example/x?sslmode=verify-full&sslrootcert=${missing}` }],
    ['MAINSPRING_CODEC_KEY_FILE', { MAINSPRING_CODEC_KEY_FILE: missing }],
  ])('a missing %s file is a ConfigError naming the variable and the path', (variable, raw) => {
    const env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === '__PEM__' ? pem : v]));
    const err = loadError(env);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`${variable}=${missing}: file not found`);
    expect(err.message).not.toContain('secretpw');
  });

  it('names a directory given as a file', () => {
    expect(loadError({ KAFKA_SSL_CA_FILE: dir }).message).toContain(`KAFKA_SSL_CA_FILE=${dir} is not a file`);
  });

  it('names an unreadable file', () => {
    const locked = join(dir, 'locked.pem');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    try {
      // root reads anything: only assert when the permission actually bites.
      if (process.getuid?.() !== 0) expect(loadError({ TEMPORAL_TLS_CA: locked }).message).toContain(`TEMPORAL_TLS_CA=${locked}: permission denied`);
    } finally {
      chmodSync(locked, 0o600);
    }
  });

  it('refuses half a Kafka client certificate and contradictory PostgreSQL TLS', () => {
    expect(loadError({ KAFKA_SSL_CERT_FILE: pem }).message).toMatch(/KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together/);
    expect(loadError({ DATABASE_URL: 'postgres://u:p@db/x?sslmode=disable', DATABASE_SSL_CA_FILE: pem }).message).toMatch(/sslmode=disable/);
    expect(loadError({ DATABASE_URL: 'postgres://u:p@db/x?sslmode=sometimes' }).message).toMatch(/sslmode=sometimes is not one of/);
  });

  it('wires Kafka SSL files into kafkajs and turns SSL on', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'k:9093', KAFKA_SSL_CA_FILE: pem, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw' }, '/repo');
    expect(config.kafka).toMatchObject({ ssl: true, tls: { caPath: pem }, sasl: { mechanism: 'scram-sha-512', username: 'svc' } });
    const ssl = kafkaSslOptions(config.kafka);
    expect(typeof ssl).toBe('object');
    expect((ssl as { ca: Buffer[] }).ca[0].toString()).toContain('BEGIN CERTIFICATE');
    expect((ssl as { rejectUnauthorized: boolean }).rejectUnauthorized).toBe(true);
    expect(() => createKafka(config.kafka)).not.toThrow();
    expect(kafkaSslOptions({ ssl: true })).toBe(true);
    // A file removed after start-up is still named by its variable.
    expect(() => kafkaSslOptions({ ssl: true, tls: { caPath: missing } })).toThrow(`KAFKA_SSL_CA_FILE=${missing} cannot be read`);
  });

  it('wires the PostgreSQL CA into the URL every pool is built from (verify-full unless set)', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db.example:5432/x', DATABASE_SSL_CA_FILE: pem }, '/repo');
    const url = new URL(config.database.url);
    expect(url.searchParams.get('sslrootcert')).toBe(pem);
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(new URL(loadConfig({ DATABASE_URL: 'postgres://u:p@db/x?sslmode=verify-ca', DATABASE_SSL_CA_FILE: pem }, '/repo').database.url).searchParams.get('sslmode')).toBe('verify-ca');
    // createDb checks the files itself too (URLs not built by loadConfig: tests, bench).
    expect(() => createDb(`postgres://u:p@db/x?sslmode=require&sslkey=${missing}`)).toThrow(`DATABASE_URL sslkey=${missing}: file not found`);
  });

  it('loads payload codec keys from the environment or a file, off by default', () => {
    expect(loadConfig({}, '/repo').temporal.codec).toBeUndefined();
    expect(temporalDataConverter(loadConfig({}, '/repo').temporal)).toBeUndefined();
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    const fromEnv = loadConfig({ MAINSPRING_CODEC_KEYS: `k2:${a},k1:${b}`, MAINSPRING_CODEC_AUTH_TOKEN: 'tok' }, '/repo');
    expect(fromEnv.temporal.codec?.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(fromEnv.codecAuthToken).toBe('tok');
    expect(temporalDataConverter(fromEnv.temporal)?.payloadCodecs).toHaveLength(1);
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotated 2026-11\nk3:${a}\nk2:${b}\n`);
    expect(loadConfig({ MAINSPRING_CODEC_KEY_FILE: file }, '/repo').temporal.codec?.keys.map((k) => k.id)).toEqual(['k3', 'k2']);
    expect(loadError({ MAINSPRING_CODEC_KEYS: 'k1:c2hvcnQ=' }).message).toMatch(/MAINSPRING_CODEC_KEYS: entry 1: key "k1" must be 32 bytes in base64 \(AES-256\), got 5 bytes/);
    expect(loadError({ MAINSPRING_CODEC_KEYS: `k1:${a}`, MAINSPRING_CODEC_KEY_FILE: file }).message).toMatch(/not both/);
    const badFile = join(dir, 'bad-keys');
    writeFileSync(badFile, 'k1:AAAA\n');
    expect(loadError({ MAINSPRING_CODEC_KEY_FILE: badFile })).toBeInstanceOf(ConfigError);
    expect(loadError({ MAINSPRING_CODEC_KEY_FILE: badFile }).message).toContain(`MAINSPRING_CODEC_KEY_FILE=${badFile}: entry 1`);
  });
});
