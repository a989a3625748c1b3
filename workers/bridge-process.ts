import { secretPiiHashKey, type Config } from '../src/config/env';
import { Bridge, type BridgeOptions } from '../src/kafka/bridge';
import { createKafka } from '../src/kafka/client';
import { connectProducer } from '../src/kafka/producer';
import { productRoutes } from './product-routes';
import { ShutdownSequence, type OnFatal } from '../src/lifecycle/shutdown';
import { createMetricsRegistry, METRIC_PREFIXES, metricsHost, serveMetrics } from '../src/observability/metrics';
import { createTracing, SERVICE_NAMES, type Tracing } from '../src/observability/tracing';
import type { Logger } from '../src/observability/logger';
import type { Registry } from 'prom-client';
import type { Client } from '@temporalio/client';
import { assertPortsFree, type PortClaim } from '../src/lifecycle/ports';
import { connectTemporal } from '../src/temporal/client';

export interface RunningProcess {
  shutdown: ShutdownSequence;
  /** the bridge's metrics (accepted, DLQ, lag, …), also served on its /metrics endpoint */
  metrics: Registry;
}

/**
 * The bridge process: Kafka consumer group → Temporal. Shutdown order: stop consuming (in-flight starts finish,
 * accepted offsets are committed, the group is left) → producer → Temporal connection → flush traces → metrics endpoint.
 */
export interface BridgeProcessOptions extends Partial<BridgeOptions> {
  defaultModelName?: string;
  tracing?: Tracing;
  /** A client owned by the caller (workers/run-process.ts: on the worker's connection, for eager starts). */
  temporal?: Client;
  /** Told when the consumer stops for good after start; without it the bridge runs its own shutdown. */
  onFatal?: OnFatal;
}

/** The ports the bridge process listens on, checked before anything starts. */
export function bridgePortClaims(config: Config): PortClaim[] {
  return [{ port: config.metrics.bridgePort, component: 'the bridge metrics endpoint', envVar: 'MAINSPRING_BRIDGE_METRICS_PORT', host: metricsHost(process.env) }];
}

export async function startBridgeProcess(config: Config, logger: Logger, options: BridgeProcessOptions = {}): Promise<RunningProcess> {
  const { defaultModelName = 'fraud', tracing: givenTracing, temporal, onFatal, ...bridgeOptions } = options;
  const piiHashKey = secretPiiHashKey(config); // refused before anything starts
  await assertPortsFree(bridgePortClaims(config), 'the bridge');
  const log = logger.child({ component: 'bridge' });
  const shutdown = new ShutdownSequence(log);
  const metrics = createMetricsRegistry(METRIC_PREFIXES.bridge);
  const metricsServer = await serveMetrics(metrics, config.metrics.bridgePort, metricsHost(process.env));
  // Off unless OTEL_* configures an exporter; then each start continues the record's trace into Temporal.
  const tracing = givenTracing ?? createTracing({ serviceName: SERVICE_NAMES.bridge, env: process.env, serviceVersion: process.env.MAINSPRING_CODE_VERSION, logger: log });
  const own = temporal ? undefined : await connectTemporal(config.temporal, { interceptors: tracing.clientInterceptors() });
  const client = temporal ?? own!.client;
  const kafka = createKafka(config.kafka, { logger: log });
  const onConsumerStopped = (err: Error) => {
    if (onFatal) onFatal("the bridge's Kafka consumer", err);
    else void shutdown.run('consumer crashed');
  };
  const producer = await connectProducer(kafka);
  const bridge = new Bridge({ kafka, temporal: client, producer, routes: productRoutes({ piiHashKey, defaultModelName, approvers: config.approvers }), logger: log, metrics, tracer: tracing.enabled ? tracing.tracer : undefined, onConsumerStopped }, bridgeOptions);
  shutdown
    .add('stop consuming and commit accepted offsets', () => bridge.stop())
    .add('disconnect producer', () => producer.disconnect())
    .add('close Temporal connection', async () => own?.connection.close())
    // After every step that can still end a span; a tracing handed in by the caller is the caller's to shut down.
    .add('flush traces', () => (givenTracing ? tracing.flush() : tracing.shutdown()))
    .add('close metrics endpoint', () => metricsServer.close());
  await bridge.start();
  log.info({ metrics: `http://127.0.0.1:${config.metrics.bridgePort}/metrics`, temporal: config.temporal.address, kafka: config.kafka.brokers }, 'bridge running');
  return { shutdown, metrics };
}
