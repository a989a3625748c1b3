import type { Config } from '../src/config/env';
import { Bridge, type BridgeOptions } from '../src/kafka/bridge';
import { createKafka } from '../src/kafka/client';
import { connectProducer } from '../src/kafka/producer';
import { productRoutes } from '../src/kafka/product-routes';
import { ShutdownSequence } from '../src/lifecycle/shutdown';
import { createMetricsRegistry, serveMetrics } from '../src/observability/metrics';
import type { Logger } from '../src/observability/logger';
import type { Registry } from 'prom-client';
import { connectTemporal } from '../src/temporal/client';

export interface RunningProcess {
  shutdown: ShutdownSequence;
  /** the bridge's metrics (accepted, DLQ, lag, …), also served on its /metrics endpoint */
  metrics: Registry;
}

/**
 * The bridge process: Kafka consumer group → Temporal. Shutdown order: stop consuming (in-flight starts finish,
 * accepted offsets are committed, the group is left) → producer → Temporal connection → metrics endpoint.
 */
export async function startBridgeProcess(config: Config, logger: Logger, options: Partial<BridgeOptions> & { defaultModelName?: string } = {}): Promise<RunningProcess> {
  const { defaultModelName = 'fraud', ...bridgeOptions } = options;
  const log = logger.child({ component: 'bridge' });
  const shutdown = new ShutdownSequence(log);
  const metrics = createMetricsRegistry('mainspring_bridge_process');
  const metricsServer = await serveMetrics(metrics, config.metrics.bridgePort);
  const { client, connection } = await connectTemporal(config.temporal);
  const kafka = createKafka(config.kafka);
  const producer = await connectProducer(kafka);
  const bridge = new Bridge({ kafka, temporal: client, producer, routes: productRoutes({ piiHashKey: config.piiHashKey, defaultModelName, approvers: config.approvers }), logger: log, metrics }, bridgeOptions);
  shutdown
    .add('stop consuming and commit accepted offsets', () => bridge.stop())
    .add('disconnect producer', () => producer.disconnect())
    .add('close Temporal connection', () => connection.close())
    .add('close metrics endpoint', () => metricsServer.close());
  await bridge.start();
  log.info({ metrics: `http://127.0.0.1:${config.metrics.bridgePort}/metrics`, temporal: config.temporal.address, kafka: config.kafka.brokers }, 'bridge running');
  return { shutdown, metrics };
}
