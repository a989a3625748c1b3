import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Prefixes of each process's default metrics (the Grafana dashboard queries e.g. mainspring_worker_process_resident_memory_bytes). */
export const METRIC_PREFIXES = { worker: 'mainspring_worker', bridge: 'mainspring_bridge_process' } as const;

/**
 * Metrics of the Temporal SDK's own Prometheus endpoint (worker, MAINSPRING_WORKER_SDK_METRICS_PORT) that the dashboard
 * uses. They are not in our registries; this list was taken from a scrape of SDK 1.24 (histograms in milliseconds,
 * labels namespace, task_queue, worker_type, poller_type) and is what test/unit/observability/dashboard.test.ts
 * accepts besides our own names.
 */
export const TEMPORAL_SDK_METRICS: Readonly<Record<string, 'counter' | 'gauge' | 'histogram'>> = {
  temporal_workflow_task_schedule_to_start_latency: 'histogram',
  temporal_workflow_task_execution_latency: 'histogram',
  temporal_workflow_task_replay_latency: 'histogram',
  temporal_workflow_endtoend_latency: 'histogram',
  temporal_activity_schedule_to_start_latency: 'histogram',
  temporal_activity_execution_latency: 'histogram',
  temporal_activity_succeed_endtoend_latency: 'histogram',
  temporal_request_latency: 'histogram',
  temporal_long_request_latency: 'histogram',
  temporal_worker_task_slots_available: 'gauge',
  temporal_worker_task_slots_used: 'gauge',
  temporal_num_pollers: 'gauge',
  temporal_sticky_cache_size: 'gauge',
  temporal_sticky_cache_hit: 'counter',
  temporal_workflow_completed: 'counter',
  temporal_workflow_task_queue_poll_succeed: 'counter',
  temporal_activity_task_received: 'counter',
  temporal_request: 'counter',
  temporal_long_request: 'counter',
  temporal_worker_start: 'counter',
};

/**
 * Interface the metrics endpoints listen on: loopback unless MAINSPRING_METRICS_HOST says otherwise (0.0.0.0 in a
 * container or on a host Prometheus scrapes from elsewhere). Called by the process runners with process.env.
 */
export function metricsHost(env: Readonly<Record<string, string | undefined>>): string {
  return env.MAINSPRING_METRICS_HOST?.trim() || '127.0.0.1';
}

/** A registry per process with Node's default metrics (RSS, CPU, event-loop lag) under a prefix. */
export function createMetricsRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  return registry;
}

/** Serves `GET /metrics` (Prometheus text format) on 127.0.0.1:port; resolves once listening. */
export function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<{ server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`metrics port ${port} is already in use (set the *_METRICS_PORT variable)`) : err),
    );
    server.listen(port, host, () =>
      resolve({ server, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });
}
