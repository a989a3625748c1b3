import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CLOUDEVENTS_MODES, DEFAULT_CLOUDEVENTS_MODE, type CloudEventsMode } from '../kafka/cloudevents-binding';
import { DEFAULT_OUTBOX_SHARDS, DEFAULT_TRANSACTIONAL_ID_PREFIX } from '../kafka/outbox/shard';
import { databaseUrlTlsProblems, unreadableFile, withDatabaseCa } from '../security/connection-files';
import { CodecKeyError, parseCodecKeys, type CodecKey } from '../security/payload-codec';

/**
 * The whole configuration of mainspring, parsed once from the environment. Only workers/ and cli/ call
 * `loadConfig()`; library modules receive the parts they need as arguments.
 *
 * A service whose address variable is set (TEMPORAL_ADDRESS, KAFKA_BROKERS, DATABASE_URL) is used as it is and
 * the local stack does not start it: that is how mainspring runs against real clusters.
 */
const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Published in this repository, so it protects nothing: fine for the local stack, refused against a shared cluster. */
export const DEV_PII_HASH_KEY = 'mainspring-local-dev-only-key';

const envSchema = z.object({
  MAINSPRING_HOME: optionalString,
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  KAFKA_BROKERS: optionalString,
  KAFKA_CLIENT_ID: z.string().min(1).default('mainspring'),
  KAFKA_SSL: z.enum(['true', 'false']).default('false'),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: optionalString,
  KAFKA_SASL_PASSWORD: optionalString,
  KAFKA_SSL_CA_FILE: optionalString,
  KAFKA_SSL_CERT_FILE: optionalString,
  KAFKA_SSL_KEY_FILE: optionalString,
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(6),
  /** Replication of the topics `mainspring setup` creates; unset = the cluster's default.replication.factor. */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(16).optional(),
  /** min.insync.replicas of the topics `mainspring setup` creates; unset = the cluster's default. */
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(16).optional(),
  /** Retention of closed workflows in a namespace `mainspring setup` registers (an existing one keeps its own). */
  TEMPORAL_NAMESPACE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Outbox shards: one relay (one Kafka transactional producer) leads each, among all workers. Same in every worker. */
  MAINSPRING_OUTBOX_SHARDS: z.coerce.number().int().min(1).max(64).default(DEFAULT_OUTBOX_SHARDS),
  /** The outbox relays' Kafka transactional ids are `<prefix>-<shard>`, their progress topics `<prefix>-<shard>.progress`. */
  MAINSPRING_OUTBOX_TRANSACTIONAL_ID_PREFIX: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, { error: (issue) => `must be 1–200 of A–Z a–z 0–9 . _ - (it names Kafka topics), got ${JSON.stringify(issue.input)}` })
      .default(DEFAULT_TRANSACTIONAL_ID_PREFIX),
  ),
  /** How mainspring writes the events it emits (CloudEvents Kafka binding); the bridge reads both modes either way. */
  MAINSPRING_CLOUDEVENTS_MODE: optionalString.pipe(
    z
      .enum(CLOUDEVENTS_MODES, { error: (issue) => `must be ${CLOUDEVENTS_MODES.map((m) => `"${m}"`).join(' or ')}, got ${JSON.stringify(issue.input)}` })
      .default(DEFAULT_CLOUDEVENTS_MODE),
  ),
  DATABASE_URL: optionalString,
  DATABASE_SSL_CA_FILE: optionalString,
  /** Temporal payload encryption keys `id:<base64 32 bytes>,…` (first encrypts, all decrypt); off when unset. */
  MAINSPRING_CODEC_KEYS: optionalString,
  MAINSPRING_CODEC_KEY_FILE: optionalString,
  MAINSPRING_CODEC_AUTH_TOKEN: optionalString,
  MAINSPRING_TEMPORAL_PORT: port.default(7233),
  MAINSPRING_TEMPORAL_UI_PORT: port.default(8233),
  MAINSPRING_KAFKA_PORT: port.default(9092),
  MAINSPRING_KAFKA_CONTROLLER_PORT: port.default(9093),
  MAINSPRING_POSTGRES_PORT: port.default(5432),
  MAINSPRING_WORKER_METRICS_PORT: port.default(9464),
  MAINSPRING_BRIDGE_METRICS_PORT: port.default(9465),
  MAINSPRING_WORKER_SDK_METRICS_PORT: port.default(9466),
  /** Key of the keyed hash applied to user ids before they are indexed (search attributes, metrics, logs). */
  MAINSPRING_PII_HASH_KEY: z.string().trim().min(16, 'must be at least 16 characters').default(DEV_PII_HASH_KEY),
  /** Who may approve a model promotion (comma-separated identities); passed to each model's learning loop. */
  MAINSPRING_APPROVERS: z.string().default(''),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface TemporalTls {
  certPath?: string;
  keyPath?: string;
  caPath?: string;
  serverName?: string;
}

export interface Config {
  home: string;
  temporal: {
    address: string;
    namespace: string;
    external: boolean;
    tls?: TemporalTls;
    apiKey?: string;
    /** Payload encryption (AES-256-GCM); undefined = payloads stored as the SDK encodes them. */
    codec?: { keys: CodecKey[] };
    localPort: number;
    uiPort: number;
    /** Retention of a namespace that `mainspring setup` registers. */
    retentionDays: number;
  };
  kafka: {
    brokers: string[];
    clientId: string;
    external: boolean;
    partitions: number;
    /** Replication and min.insync.replicas of the topics `mainspring setup` creates (undefined = the cluster's defaults). */
    replicationFactor?: number;
    minInsyncReplicas?: number;
    /** How the events mainspring emits are written: structured (JSON envelope as the value) or binary (`ce_` headers). */
    cloudEventsMode: CloudEventsMode;
    /** Shards of the saga-effect outbox (src/kafka/outbox/): a relay each, one leader per shard among the workers. */
    outboxShards: number;
    /** Prefix of the outbox relays' transactional ids and progress topics; one per deployment on a shared cluster. */
    outboxTransactionalIdPrefix: string;
    ssl: boolean;
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
    /** PEM files for SSL (a private CA, a client certificate); any of them turns ssl on. */
    tls?: { caPath?: string; certPath?: string; keyPath?: string };
    localPort: number;
    controllerPort: number;
  };
  database: { url: string; external: boolean; localPort: number };
  metrics: { workerPort: number; bridgePort: number; workerSdkPort: number };
  piiHashKey: string;
  /** Bearer token the codec server requires (`mainspring codec-server`); undefined = no token check. */
  codecAuthToken?: string;
  approvers: string[];
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const LOCAL_DATABASE_NAME = 'mainspring';
export const LOCAL_DATABASE_USER = 'mainspring';
export const LOCAL_DATABASE_PASSWORD = 'mainspring';

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, projectRoot = process.cwd()): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const home = env.MAINSPRING_HOME ?? `${projectRoot}/.mainspring`;

  const tls: TemporalTls | undefined =
    env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_CA
      ? {
          certPath: env.TEMPORAL_TLS_CERT,
          keyPath: env.TEMPORAL_TLS_KEY,
          caPath: env.TEMPORAL_TLS_CA,
          serverName: env.TEMPORAL_TLS_SERVER_NAME,
        }
      : undefined;
  if (tls && Boolean(tls.certPath) !== Boolean(tls.keyPath)) {
    throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate).');
  }

  // Certificate files are checked here so a wrong path names its variable, not a TLS error inside a connect.
  const fileProblems = (
    [
      ['TEMPORAL_TLS_CERT', env.TEMPORAL_TLS_CERT],
      ['TEMPORAL_TLS_KEY', env.TEMPORAL_TLS_KEY],
      ['TEMPORAL_TLS_CA', env.TEMPORAL_TLS_CA],
      ['KAFKA_SSL_CA_FILE', env.KAFKA_SSL_CA_FILE],
      ['KAFKA_SSL_CERT_FILE', env.KAFKA_SSL_CERT_FILE],
      ['KAFKA_SSL_KEY_FILE', env.KAFKA_SSL_KEY_FILE],
      ['DATABASE_SSL_CA_FILE', env.DATABASE_SSL_CA_FILE],
      ['MAINSPRING_CODEC_KEY_FILE', env.MAINSPRING_CODEC_KEY_FILE],
    ] as const
  ).flatMap(([variable, path]) => (path === undefined ? [] : [unreadableFile(variable, path)].filter((p): p is string => p !== undefined)));
  if (env.DATABASE_URL) fileProblems.push(...databaseUrlTlsProblems(env.DATABASE_URL));
  if (fileProblems.length > 0) throw new ConfigError(`Invalid configuration:\n${fileProblems.map((p) => `  ${p}`).join('\n')}`);
  if (Boolean(env.KAFKA_SSL_CERT_FILE) !== Boolean(env.KAFKA_SSL_KEY_FILE)) {
    throw new ConfigError('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together (SSL client certificate).');
  }
  const kafkaTls =
    env.KAFKA_SSL_CA_FILE || env.KAFKA_SSL_CERT_FILE ? { caPath: env.KAFKA_SSL_CA_FILE, certPath: env.KAFKA_SSL_CERT_FILE, keyPath: env.KAFKA_SSL_KEY_FILE } : undefined;
  const codec = loadCodecKeys(env);

  if (env.KAFKA_REPLICATION_FACTOR !== undefined && env.KAFKA_MIN_INSYNC_REPLICAS !== undefined && env.KAFKA_MIN_INSYNC_REPLICAS > env.KAFKA_REPLICATION_FACTOR) {
    throw new ConfigError(`KAFKA_MIN_INSYNC_REPLICAS=${env.KAFKA_MIN_INSYNC_REPLICAS} is more than KAFKA_REPLICATION_FACTOR=${env.KAFKA_REPLICATION_FACTOR}: no write could ever succeed.`);
  }
  let sasl: Config['kafka']['sasl'];
  if (env.KAFKA_SASL_MECHANISM) {
    if (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD) {
      throw new ConfigError('KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.');
    }
    sasl = { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD };
  }

  return {
    home,
    temporal: {
      address: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.MAINSPRING_TEMPORAL_PORT}`,
      namespace: env.TEMPORAL_NAMESPACE,
      external: env.TEMPORAL_ADDRESS !== undefined,
      tls,
      apiKey: env.TEMPORAL_API_KEY,
      codec,
      localPort: env.MAINSPRING_TEMPORAL_PORT,
      uiPort: env.MAINSPRING_TEMPORAL_UI_PORT,
      retentionDays: env.TEMPORAL_NAMESPACE_RETENTION_DAYS,
    },
    kafka: {
      brokers: (env.KAFKA_BROKERS ?? `127.0.0.1:${env.MAINSPRING_KAFKA_PORT}`).split(',').map((b) => b.trim()),
      clientId: env.KAFKA_CLIENT_ID,
      external: env.KAFKA_BROKERS !== undefined,
      partitions: env.KAFKA_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS,
      cloudEventsMode: env.MAINSPRING_CLOUDEVENTS_MODE,
      outboxShards: env.MAINSPRING_OUTBOX_SHARDS,
      outboxTransactionalIdPrefix: env.MAINSPRING_OUTBOX_TRANSACTIONAL_ID_PREFIX,
      ssl: env.KAFKA_SSL === 'true' || kafkaTls !== undefined,
      sasl,
      tls: kafkaTls,
      localPort: env.MAINSPRING_KAFKA_PORT,
      controllerPort: env.MAINSPRING_KAFKA_CONTROLLER_PORT,
    },
    database: {
      url: databaseUrl(env),
      external: env.DATABASE_URL !== undefined,
      localPort: env.MAINSPRING_POSTGRES_PORT,
    },
    metrics: { workerPort: env.MAINSPRING_WORKER_METRICS_PORT, bridgePort: env.MAINSPRING_BRIDGE_METRICS_PORT, workerSdkPort: env.MAINSPRING_WORKER_SDK_METRICS_PORT },
    piiHashKey: env.MAINSPRING_PII_HASH_KEY,
    codecAuthToken: env.MAINSPRING_CODEC_AUTH_TOKEN,
    approvers: env.MAINSPRING_APPROVERS.split(',').map((a) => a.trim()).filter(Boolean),
    logLevel: env.LOG_LEVEL,
  };
}

/**
 * The key of the keyed hash for user ids, for the processes that index them (worker, bridge). Hashed user ids are
 * search attributes in Temporal; with the public development key anyone could hash candidate ids and match them, so
 * against a shared Temporal cluster (TEMPORAL_ADDRESS) a secret key is required. Commands that never hash (migrate,
 * models, codec-server, …) do not ask for it.
 */
export function secretPiiHashKey(config: Config): string {
  if (config.temporal.external && config.piiHashKey === DEV_PII_HASH_KEY) {
    throw new ConfigError(
      'MAINSPRING_PII_HASH_KEY must be a secret here: TEMPORAL_ADDRESS points at a shared Temporal cluster, where hashed ' +
        'user ids are indexed, and the built-in development key is public. Set it to at least 16 characters ' +
        '(e.g. `openssl rand -base64 32`), the same on every worker and bridge, and keep it: a new key changes every ' +
        'UserId search attribute from then on.',
    );
  }
  return config.piiHashKey;
}

function databaseUrl(env: Env): string {
  const url = env.DATABASE_URL ?? `postgres://${LOCAL_DATABASE_USER}:${LOCAL_DATABASE_PASSWORD}@127.0.0.1:${env.MAINSPRING_POSTGRES_PORT}/${LOCAL_DATABASE_NAME}`;
  if (!env.DATABASE_SSL_CA_FILE) return url;
  // Carried in the URL (sslrootcert), so every pool and client built from it verifies the server the same way.
  try {
    return withDatabaseCa(url, env.DATABASE_SSL_CA_FILE);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function loadCodecKeys(env: Env): Config['temporal']['codec'] {
  if (env.MAINSPRING_CODEC_KEYS && env.MAINSPRING_CODEC_KEY_FILE) {
    throw new ConfigError('Set MAINSPRING_CODEC_KEYS or MAINSPRING_CODEC_KEY_FILE, not both (one list of keys, the first one encrypts).');
  }
  try {
    if (env.MAINSPRING_CODEC_KEYS) return { keys: parseCodecKeys(env.MAINSPRING_CODEC_KEYS, 'MAINSPRING_CODEC_KEYS') };
    if (env.MAINSPRING_CODEC_KEY_FILE) {
      return { keys: parseCodecKeys(readFileSync(env.MAINSPRING_CODEC_KEY_FILE, 'utf8'), `MAINSPRING_CODEC_KEY_FILE=${env.MAINSPRING_CODEC_KEY_FILE}`) };
    }
  } catch (err) {
    if (err instanceof CodecKeyError) throw new ConfigError(err.message);
    throw err;
  }
  return undefined;
}
