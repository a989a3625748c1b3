// OpenTelemetry tracing for mainspring's processes: one trace per event from the producer through the bridge, the
// workflow and its activities to the events the activities publish. Configured by the standard OTEL_* variables
// (read by the caller and passed in: importing this module reads nothing); off unless an exporter is configured,
// and then nothing is installed at all, so an untraced process pays nothing.
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from './logger';

export const SERVICE_NAMES = { bridge: 'mainspring-bridge', worker: 'mainspring-worker', cli: 'mainspring-cli' } as const;

/** The Temporal workflow interceptors (run inside the workflow sandbox); the bundle includes them when tracing is on. */
export const WORKFLOW_TRACING_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface TracingOptions {
  serviceName: string;
  /** Where the OTEL_* settings come from (the process environment in workers/ and cli/). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Span processors to use instead of the ones the environment configures (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
  serviceVersion?: string;
  logger?: Logger;
}

export interface Tracing {
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly tracer: Tracer;
  /** Interceptors for a Temporal Client: each start/signal gets a span whose context travels in the workflow headers. */
  clientInterceptors(): ClientInterceptors;
  /** Worker options tracing activities and exporting the workflow sandbox's spans; `{}` when off. */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Modules to bundle as workflow interceptors; empty when off. */
  readonly workflowInterceptorModules: string[];
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops exporting; later spans are dropped. */
  shutdown(): Promise<void>;
}

export type ExporterChoice = 'otlp' | 'console';

/**
 * Which exporters the OTEL_* variables ask for: OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none → none;
 * OTEL_TRACES_EXPORTER=otlp|console (comma-separated) → those; unset → otlp when an OTLP endpoint is set, else none.
 */
export function tracesExporters(env: Readonly<Record<string, string | undefined>>): ExporterChoice[] {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return [];
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (named.length === 0) return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp'] : [];
  if (named.includes('none')) return [];
  const unknown = named.filter((n) => n !== 'otlp' && n !== 'console');
  if (unknown.length > 0) throw new Error(`OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: only otlp, console and none are supported`);
  return named as ExporterChoice[];
}

const disabled = (serviceName: string): Tracing => ({
  enabled: false,
  serviceName,
  tracer: trace.getTracer('mainspring-disabled'),
  clientInterceptors: () => ({}),
  workerOptions: () => ({}),
  workflowInterceptorModules: [],
  flush: async () => undefined,
  shutdown: async () => undefined,
});

let globalsInstalled = false;

/**
 * A tracer provider for one component of a process (a process running both the worker and the bridge gets two, each
 * with its own service.name). The first enabled one also installs the process-wide pieces: the AsyncLocalStorage
 * context manager and the propagators of OTEL_PROPAGATORS (default W3C tracecontext + baggage).
 */
export function createTracing(options: TracingOptions): Tracing {
  const env = options.env ?? {};
  const processors = options.spanProcessors ?? exporterProcessors(tracesExporters(env));
  if (processors.length === 0) return disabled(options.serviceName);

  // OTEL_RESOURCE_ATTRIBUTES (e.g. deployment.environment) are kept; service.name is the component's own.
  const resource = Resource.default()
    .merge(envDetectorSync.detect())
    .merge(new Resource({ [ATTR_SERVICE_NAME]: options.serviceName, ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  if (!globalsInstalled) {
    globalsInstalled = true;
    provider.register();
  }
  const tracer = provider.getTracer('mainspring');
  // Workflow spans are created in the sandbox and handed over by a sink; this processor exports them like ours.
  const workflowSpans: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => processors.forEach((p) => p.onEnd(span)),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  options.logger?.info({ serviceName: options.serviceName, exporters: options.spanProcessors ? 'custom' : tracesExporters(env) }, 'tracing on');
  return {
    enabled: true,
    serviceName: options.serviceName,
    tracer,
    clientInterceptors: () => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] }),
    workerOptions: () => ({
      interceptors: {
        activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      sinks: { exporter: makeWorkflowExporter(workflowSpans, resource) },
    }),
    workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function exporterProcessors(choices: ExporterChoice[]): SpanProcessor[] {
  // OTLPTraceExporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT itself; BatchSpanProcessor OTEL_BSP_*.
  return choices.map((c) => new BatchSpanProcessor(c === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter()));
}

export { activeTraceFields, contextFromKafkaHeaders, CORRELATION_BAGGAGE_KEY, inConsumerSpan, SPAN_ATTRIBUTES, startProducerSpan, traceHeaders } from './trace-context';
