// The light half of tracing, imported by the bridge, the producer and the logger: moving trace context in and out
// of Kafka headers and reading the active span. Only @opentelemetry/api, whose calls are no-ops until a tracer
// provider is installed (src/observability/tracing.ts), so untraced processes pay nothing.
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

/** Baggage entry carrying the event's correlation id along the trace (logs of every hop show it). */
export const CORRELATION_BAGGAGE_KEY = 'mainspring.correlation_id';

/** Kafka header getter: kafkajs delivers header values as Buffers (or arrays of them). */
const kafkaHeaderGetter = {
  keys: (carrier: IHeaders) => Object.keys(carrier),
  get: (carrier: IHeaders, key: string): string | undefined => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** The trace context a Kafka record carries (its producer's span), or the active context when it carries none. */
export function contextFromKafkaHeaders(headers: IHeaders | undefined): Context {
  return headers ? propagation.extract(context.active(), headers, kafkaHeaderGetter) : context.active();
}

/** `traceparent` (+ `tracestate`, `baggage`) of the active span for a record's headers; empty when tracing is off. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * Runs `fn` in a CONSUMER span continuing the trace of the Kafka record (its headers), with the correlation id as
 * baggage so the workflow and activities downstream log it too. Errors are recorded on the span and rethrown.
 */
export async function inConsumerSpan<T>(
  tracer: Tracer,
  name: string,
  record: { headers?: IHeaders; correlationId?: string },
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  let parent = contextFromKafkaHeaders(record.headers);
  if (record.correlationId) {
    const baggage = (propagation.getBaggage(parent) ?? propagation.createBaggage()).setEntry(CORRELATION_BAGGAGE_KEY, { value: record.correlationId });
    parent = propagation.setBaggage(parent, baggage);
  }
  return tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Ids of the active span (and the correlation id from baggage) for log lines; empty when no span is active. */
export function activeTraceFields(): Record<string, string> {
  const active = context.active();
  const spanContext = trace.getSpanContext(active);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  const correlationId = propagation.getBaggage(active)?.getEntry(CORRELATION_BAGGAGE_KEY)?.value;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, ...(correlationId ? { correlation_id: correlationId } : {}) };
}

/** Semantic-convention attribute names of the spans mainspring creates itself. */
export const SPAN_ATTRIBUTES = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  messageId: 'messaging.message.id',
  operation: 'messaging.operation.type',
  // The key the Temporal interceptors use, so one attribute search finds the bridge span and the workflow's spans.
  workflowId: 'temporalWorkflowId',
  duplicate: 'mainspring.duplicate',
} as const;

/** A PRODUCER span that starts the trace of one record; its context goes into the record's headers. End it once sent. */
export function startProducerSpan(tracer: Tracer, topic: string, attributes: Attributes = {}): { span: Span; headers: Record<string, string> } {
  const span = tracer.startSpan(`produce ${topic}`, {
    kind: SpanKind.PRODUCER,
    root: true,
    attributes: { [SPAN_ATTRIBUTES.system]: 'kafka', [SPAN_ATTRIBUTES.destination]: topic, [SPAN_ATTRIBUTES.operation]: 'send', ...attributes },
  });
  return { span, headers: traceHeaders(trace.setSpan(context.active(), span)) };
}

/** Adds attributes to the active span, if any (e.g. the bridge marking a re-delivered event). */
export function markActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
