import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { activeTraceFields, contextFromKafkaHeaders, CORRELATION_BAGGAGE_KEY, inConsumerSpan, startProducerSpan } from '../../../src/observability/trace-context';
import { createTracing, tracesExporters } from '../../../src/observability/tracing';

describe('tracesExporters (OTEL_* variables)', () => {
  it('is off unless an exporter or an OTLP endpoint is configured', () => {
    expect(tracesExporters({})).toEqual([]);
    expect(tracesExporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(['otlp']);
    expect(tracesExporters({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual(['otlp']);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toEqual(['otlp', 'console']);
    expect(tracesExporters({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual([]);
    expect(tracesExporters({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual([]);
    expect(() => tracesExporters({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/only otlp, console and none/);
  });

  it('installs nothing when off', () => {
    const off = createTracing({ serviceName: 'mainspring-test', env: {} });
    expect(off.enabled).toBe(false);
    expect(off.workerOptions()).toEqual({});
    expect(off.clientInterceptors()).toEqual({});
    expect(off.workflowInterceptorModules).toEqual([]);
  });
});

describe('trace context through Kafka headers', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'mainspring-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  afterAll(() => tracing.shutdown());

  it('continues the producer span in the consumer span, with the correlation id as baggage and in log fields', async () => {
    const produced = startProducerSpan(tracing.tracer, 'payments.initiated');
    produced.span.end();
    // kafkajs hands headers over as Buffers.
    const headers = Object.fromEntries(Object.entries(produced.headers).map(([k, v]) => [k, Buffer.from(v)]));
    const seen = await inConsumerSpan(tracing.tracer, 'bridge.accept', { headers, correlationId: 'corr-1' }, { a: 1 }, async (span) => ({
      span: span.spanContext(),
      baggage: propagation.getBaggage(context.active())?.getEntry(CORRELATION_BAGGAGE_KEY)?.value,
      log: activeTraceFields(),
    }));
    expect(seen.span.traceId).toBe(produced.span.spanContext().traceId);
    expect(seen.baggage).toBe('corr-1');
    expect(seen.log).toEqual({ trace_id: seen.span.traceId, span_id: seen.span.spanId, correlation_id: 'corr-1' });
    const accept = exporter.getFinishedSpans().find((s) => s.name === 'bridge.accept')!;
    expect(accept.parentSpanId).toBe(produced.span.spanContext().spanId);
    expect(accept.resource.attributes['service.name']).toBe('mainspring-test');
  });

  it('records a failure on the span and rethrows it', async () => {
    await expect(inConsumerSpan(tracing.tracer, 'bridge.fail', {}, {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const failed = exporter.getFinishedSpans().find((s) => s.name === 'bridge.fail')!;
    expect(failed.status).toMatchObject({ code: 2, message: 'boom' });
  });

  it('reads nothing from a record without trace headers, and no log fields outside a span', () => {
    expect(trace.getSpanContext(contextFromKafkaHeaders({ 'content-type': Buffer.from('x') }))).toBeUndefined();
    expect(activeTraceFields()).toEqual({});
  });
});
