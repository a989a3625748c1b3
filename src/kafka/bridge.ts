import type { Tracer } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MainspringEvent } from '../../schemas';
import type { Logger } from '../observability/logger';
import { inConsumerSpan, markActiveSpan, SPAN_ATTRIBUTES } from '../observability/trace-context';
import type { KafkaCoordinates } from '../../schemas/bridged-event';
import { classifyStartFailure, describeError } from '../temporal/errors';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { Backoff } from './backoff';
import { decodeRecord } from './cloudevents-binding';
import { sendToDlq } from './dlq';
import { KeyedScheduler } from './keyed-scheduler';
import { OffsetTracker } from './offset-tracker';
import type { AnyBridgedEvent, Route, SignalWithStartRoute, StartRoute } from './routes';

export interface BridgeOptions {
  groupId: string;
  /** Most tasks (starts, signals, DLQ writes) queued or running per partition. */
  maxInFlightPerPartition: number;
  /** Events larger than this go to the DLQ as TOO_LARGE. */
  maxEventBytes: number;
  /** Backoff for retryable Temporal failures (unavailable, throttled). */
  retry: { initialMs: number; maxMs: number };
  /** A `reject`-class failure is retried this many times before the event is dead-lettered. */
  rejectAttempts: number;
  fromBeginning: boolean;
  /**
   * Ask the server to hand each started workflow's first task straight back to a worker of this process (eager
   * start: one round trip fewer, no task-queue match). Needs a client on the worker's NativeConnection
   * (workers/run-process.ts); when no local worker slot is free the start goes through the task queue as usual.
   * Only while the partition is caught up (a batch no larger than `maxInFlightPerPartition`): that is where it saves
   * latency. Draining a backlog, plain starts keep more sagas moving (the bench measured one process with eager
   * starts at 0.72–0.78× the backlog throughput of plain starts: the server's start then also starts the first task).
   */
  eagerStart: boolean;
}

export const DEFAULT_BRIDGE_OPTIONS: BridgeOptions = {
  groupId: 'mainspring-bridge',
  // 16 per partition keeps a 6-partition topic at ~100 concurrent starts: more only queues inside Temporal.
  maxInFlightPerPartition: 16,
  maxEventBytes: 256 * 1024,
  retry: { initialMs: 200, maxMs: 10_000 },
  rejectAttempts: 3,
  fromBeginning: true,
  eagerStart: false,
};

export interface BridgeDeps {
  kafka: Kafka;
  temporal: Client;
  /** Producer for DLQ records; owned by the caller (shared with other producers of the process). */
  producer: Producer;
  routes: readonly Route[];
  logger: Logger;
  metrics: Registry;
  /** Set when tracing is on: each start runs in a `bridge.accept` span continuing the record's trace (its headers). */
  tracer?: Tracer;
  /**
   * Told when the consumer stops for good: kafkajs restarts it after a retriable failure by itself, but after any
   * other it stays stopped — a bridge that consumes nothing while looking alive. Its owner should end the process.
   */
  onConsumerStopped?: (err: Error) => void;
}

/** Raised inside a task when the consumer is stopping: the event stays uncommitted and will be re-delivered. */
class Abandoned extends Error {
  readonly code = 'BRIDGE_ABANDONED';
}

interface BatchContext {
  payload: EachBatchPayload;
  keepAlive(): Promise<void>;
  stopping(): boolean;
}

/**
 * Consumes the routed topics and hands each valid event to Temporal, committing a partition's offset only up to
 * the last event Temporal accepted (or the DLQ stored). Same key → offset order; different keys → in parallel.
 */
export class Bridge {
  private readonly options: BridgeOptions;
  private readonly routes: Map<string, Route>;
  private consumer?: Consumer;
  private readonly metrics: ReturnType<typeof bridgeMetrics>;
  private readonly pausedPartitions = new Set<string>();

  constructor(
    private readonly deps: BridgeDeps,
    options: Partial<BridgeOptions> = {},
  ) {
    this.options = { ...DEFAULT_BRIDGE_OPTIONS, ...options };
    this.routes = new Map(deps.routes.map((r) => [r.topic, r]));
    this.metrics = bridgeMetrics(deps.metrics);
  }

  async start(): Promise<void> {
    const consumer = this.deps.kafka.consumer({
      groupId: this.options.groupId,
      // The bridge heartbeats itself during long batches; this bounds how long a dead bridge holds partitions.
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 1024 * 1024,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.deps.logger.error({ err: payload.error, groupId: this.options.groupId }, 'Kafka consumer stopped after a non-retriable error');
      this.deps.onConsumerStopped?.(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.routes.keys()], fromBeginning: this.options.fromBeginning });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: 16,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.deps.logger.info({ topics: [...this.routes.keys()], groupId: this.options.groupId }, 'bridge consuming');
  }

  /** Stops fetching, lets in-flight starts finish or abandon, commits what was accepted, leaves the group. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.stop();
    await consumer.disconnect();
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const route = this.routes.get(batch.topic);
    if (!route || batch.messages.length === 0) return;
    const labels = { topic: batch.topic, partition: String(batch.partition) };
    this.metrics.consumed.inc({ topic: batch.topic }, batch.messages.length);

    let lastBeat = Date.now();
    const context: BatchContext = {
      payload,
      stopping: () => !isRunning() || isStale(),
      keepAlive: async () => {
        if (Date.now() - lastBeat < 1_000) return;
        lastBeat = Date.now();
        await heartbeat();
      },
    };
    const tracker = new OffsetTracker(batch.messages.map((m) => m.offset));
    const scheduler = new KeyedScheduler(this.options.maxInFlightPerPartition);
    const onSettled = (offsets: string[]) => (error?: unknown) => {
      if (error) {
        if (!(error instanceof Abandoned)) this.deps.logger.error({ err: error, ...labels, offsets }, 'task failed; offsets stay uncommitted');
        return;
      }
      const watermark = tracker.finish(offsets);
      if (watermark !== undefined) resolveOffset(watermark);
    };

    for (const task of this.plan(route, batch.topic, batch.partition, batch.messages)) {
      if (context.stopping()) break;
      await scheduler.submit(task.key, () => task.run(context), onSettled(task.offsets));
      this.metrics.inFlight.set(labels, scheduler.inFlight);
      await context.keepAlive();
    }
    await scheduler.drain();
    this.metrics.inFlight.set(labels, 0);
    const committed = tracker.watermark;
    if (committed !== undefined) {
      this.metrics.lag.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(committed) - 1n)));
    }
    await commitOffsetsIfNecessary();
  }

  /** Turns a batch into tasks: DLQ writes for bad records, starts per event, or signal groups per entity. */
  private plan(route: Route, topic: string, partition: number, messages: KafkaMessage[]): Task[] {
    const tasks: Task[] = [];
    const groups = new Map<string, SignalGroup>();
    for (const message of messages) {
      const coords: KafkaCoordinates = { topic, partition, offset: message.offset };
      const refused = this.validate(route, message);
      if (!refused.ok) {
        tasks.push({ key: `dlq:${message.key?.toString() ?? ''}`, offsets: [message.offset], run: (ctx) => this.deadLetter(ctx, message, coords, refused) });
        continue;
      }
      const event = refused.event;
      const bridged: AnyBridgedEvent = { envelope: { ...event.envelope, data: event.data }, kafka: coords };
      if (route.mode === 'start') {
        tasks.push({ key: message.key!.toString(), offsets: [message.offset], run: (ctx) => this.startWorkflow(ctx, route, event, bridged, message) });
      } else {
        const workflowId = route.workflowId(event);
        const group = groups.get(workflowId) ?? { events: [], messages: [], first: event };
        group.events.push(bridged);
        group.messages.push(message);
        groups.set(workflowId, group);
        if (group.events.length >= route.maxBatch) {
          tasks.push(this.signalTask(route, workflowId, group));
          groups.delete(workflowId);
        }
      }
    }
    if (route.mode === 'signalWithStart') {
      for (const [workflowId, group] of groups) tasks.push(this.signalTask(route, workflowId, group));
    }
    return tasks;
  }

  private validate(route: Route, message: KafkaMessage): { ok: true; event: MainspringEvent } | { ok: false; code: string; message: string; path?: string } {
    if (message.key === null || message.key.length === 0) return { ok: false, code: 'MISSING_KEY', message: 'record has no key (the key is the event subject)' };
    if (message.value === null) return { ok: false, code: 'NOT_JSON', message: 'record has no value (tombstone)' };
    const parsed = decodeRecord(message, { maxBytes: this.options.maxEventBytes });
    if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message, path: parsed.path };
    if (parsed.type !== route.eventType) {
      return { ok: false, code: 'ROUTE_MISMATCH', message: `type ${parsed.type} is not carried on this topic (expects ${route.eventType})` };
    }
    return { ok: true, event: parsed };
  }

  private signalTask(route: SignalWithStartRoute, workflowId: string, group: SignalGroup): Task {
    return {
      key: workflowId,
      offsets: group.messages.map((m) => m.offset),
      run: (ctx) =>
        this.withTemporalRetry(ctx, `signal ${workflowId}`, async () => {
          await this.deps.temporal.workflow.signalWithStart(route.workflowType, {
            workflowId,
            taskQueue: route.taskQueue,
            args: route.startArgs(workflowId, group.first),
            signal: route.signal,
            signalArgs: [{ events: group.events }],
          });
          this.metrics.accepted.inc({ topic: route.topic, mode: route.mode }, group.events.length);
        }, (failure) =>
          Promise.all(group.messages.map((m) => this.deadLetter(ctx, m, { topic: route.topic, partition: ctx.payload.batch.partition, offset: m.offset }, failure))).then(() => undefined),
        ),
    };
  }

  private startWorkflow(ctx: BatchContext, route: StartRoute, event: MainspringEvent, input: AnyBridgedEvent, message: KafkaMessage): Promise<void> {
    const workflowId = route.workflowId(event);
    const searchAttributes: SearchAttributePair[] = [
      { key: SEARCH_ATTRIBUTES.CorrelationId, value: event.envelope.correlationid },
      { key: SEARCH_ATTRIBUTES.KafkaTopic, value: input.kafka.topic },
      { key: SEARCH_ATTRIBUTES.KafkaPartition, value: input.kafka.partition },
      { key: SEARCH_ATTRIBUTES.KafkaOffset, value: Number(input.kafka.offset) },
      ...(route.searchAttributes?.(event) ?? []),
    ] as SearchAttributePair[];
    const started = Date.now();
    const start = () => this.withTemporalRetry(
      ctx,
      `start ${workflowId}`,
      async () => {
        try {
          const handle = await this.deps.temporal.workflow.start(route.workflowType, {
            workflowId,
            taskQueue: route.taskQueue,
            args: [input],
            // A finished workflow also refuses its id again: a re-delivered event never runs twice.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            requestEagerStart: this.options.eagerStart && ctx.payload.batch.messages.length <= this.options.maxInFlightPerPartition,
            typedSearchAttributes: searchAttributes,
            staticSummary: route.summary?.(event),
            memo: { eventId: event.envelope.id, correlationId: event.envelope.correlationid, kafka: input.kafka },
          });
          this.metrics.accepted.inc({ topic: route.topic, mode: route.mode });
          if (handle.eagerlyStarted) this.metrics.eagerStarts.inc({ topic: route.topic });
        } catch (err) {
          if (classifyStartFailure(err) !== 'duplicate') throw err;
          this.metrics.duplicates.inc({ topic: route.topic });
          markActiveSpan({ [SPAN_ATTRIBUTES.duplicate]: true });
        }
        this.metrics.acceptSeconds.observe({ topic: route.topic }, (Date.now() - started) / 1000);
        this.deps.logger.debug({ workflowId, ...input.kafka, correlationId: event.envelope.correlationid }, 'event accepted');
      },
      (failure) => this.deadLetter(ctx, message, input.kafka, failure),
    );
    if (!this.deps.tracer) return start();
    // The client's OpenTelemetry interceptor starts the workflow inside this span: the trace continues in Temporal.
    return inConsumerSpan(this.deps.tracer, 'bridge.accept', { headers: message.headers, correlationId: event.envelope.correlationid }, {
      [SPAN_ATTRIBUTES.system]: 'kafka',
      [SPAN_ATTRIBUTES.operation]: 'process',
      [SPAN_ATTRIBUTES.destination]: input.kafka.topic,
      [SPAN_ATTRIBUTES.partition]: String(input.kafka.partition),
      [SPAN_ATTRIBUTES.offset]: Number(input.kafka.offset),
      [SPAN_ATTRIBUTES.messageId]: event.envelope.id,
      [SPAN_ATTRIBUTES.workflowId]: workflowId,
    }, start);
  }

  /**
   * Runs a Temporal call until it is accepted. Unavailable/throttled → pause the partition and back off (no
   * limit: nothing is dropped); an invalid request → a few tries, then the DLQ; stopping → abandon (uncommitted).
   */
  private async withTemporalRetry(
    ctx: BatchContext,
    what: string,
    call: () => Promise<void>,
    onRejected: (failure: { code: string; message: string }) => Promise<void>,
  ): Promise<void> {
    const { topic, partition } = ctx.payload.batch;
    const backoff = new Backoff(this.options.retry);
    for (let attempt = 1; ; attempt += 1) {
      if (ctx.stopping()) throw new Abandoned(what);
      try {
        await call();
        this.resumeIfPaused(topic, partition);
        return;
      } catch (err) {
        const kind = classifyStartFailure(err);
        if (kind === 'reject' && attempt >= this.options.rejectAttempts) {
          await onRejected({ code: 'START_REJECTED', message: `Temporal refused ${what}: ${describeError(err)}` });
          return;
        }
        this.metrics.retries.inc({ topic, kind });
        this.pause(topic, partition, what, err);
        await ctx.keepAlive();
        await backoff.wait();
      }
    }
  }

  private pause(topic: string, partition: number, what: string, err: unknown): void {
    const id = `${topic}/${partition}`;
    if (this.pausedPartitions.has(id)) return;
    this.pausedPartitions.add(id);
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    this.metrics.paused.set({ topic, partition: String(partition) }, 1);
    this.deps.logger.warn({ topic, partition, what, err: describeError(err) }, 'Temporal not accepting: partition paused, retrying with backoff');
  }

  private resumeIfPaused(topic: string, partition: number): void {
    const id = `${topic}/${partition}`;
    if (!this.pausedPartitions.delete(id)) return;
    this.consumer?.resume([{ topic, partitions: [partition] }]);
    this.metrics.paused.set({ topic, partition: String(partition) }, 0);
    this.deps.logger.info({ topic, partition }, 'Temporal accepting again: partition resumed');
  }

  private async deadLetter(ctx: BatchContext, message: KafkaMessage, origin: KafkaCoordinates, reason: { code: string; message: string; path?: string }): Promise<void> {
    const backoff = new Backoff(this.options.retry);
    // The DLQ write must succeed before the offset may be committed; Kafka being briefly unavailable is retried.
    for (;;) {
      if (ctx.stopping()) throw new Abandoned('dead-letter');
      try {
        await sendToDlq(this.deps.producer, message, { ...reason, origin, firstFailureAt: new Date().toISOString() });
        this.metrics.dlq.inc({ topic: origin.topic, reason: reason.code });
        this.deps.logger.warn({ ...origin, code: reason.code, reason: reason.message }, 'event dead-lettered');
        return;
      } catch (err) {
        if ((err as { type?: string }).type === 'MESSAGE_TOO_LARGE' && message.value !== null) {
          // Record + DLQ headers exceed what the DLQ topic takes: retrying can never succeed and would block the
          // partition. Keep reason and origin (the original stays readable there) and drop the value.
          const bytes = message.value.length;
          message = { ...message, value: null, headers: { ...message.headers, [DLQ_VALUE_OMITTED_HEADER]: String(bytes) } } as KafkaMessage;
          reason = { ...reason, message: `${reason.message}; value of ${bytes} bytes omitted (too large for the DLQ topic): read it at the origin offset` };
          continue;
        }
        this.deps.logger.error({ err, ...origin }, 'DLQ write failed; retrying');
        await ctx.keepAlive();
        await backoff.wait();
      }
    }
  }
}

/** Set on a DLQ record whose value had to be dropped (its size in bytes); the original is at the origin offset. */
export const DLQ_VALUE_OMITTED_HEADER = 'mainspring-value-omitted-bytes';

/** Events of one entity in one batch, delivered as one signal. */
interface SignalGroup {
  events: AnyBridgedEvent[];
  messages: KafkaMessage[];
  first: MainspringEvent;
}

interface Task {
  key: string;
  offsets: string[];
  run(ctx: BatchContext): Promise<void>;
}

/** The bridge's metrics on a registry (exported so the dashboard test can check every name the dashboard queries). */
export function bridgeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    consumed: new Counter({ name: 'mainspring_bridge_consumed_total', help: 'Records read from Kafka', labelNames: ['topic'], registers }),
    accepted: new Counter({ name: 'mainspring_bridge_accepted_total', help: 'Events accepted by Temporal (started or signalled)', labelNames: ['topic', 'mode'], registers }),
    duplicates: new Counter({ name: 'mainspring_bridge_duplicates_total', help: 'Re-delivered events whose workflow already existed', labelNames: ['topic'], registers }),
    dlq: new Counter({ name: 'mainspring_bridge_dlq_total', help: 'Records dead-lettered, by reason code', labelNames: ['topic', 'reason'], registers }),
    retries: new Counter({ name: 'mainspring_bridge_temporal_retries_total', help: 'Temporal calls retried', labelNames: ['topic', 'kind'], registers }),
    paused: new Gauge({ name: 'mainspring_bridge_partition_paused', help: '1 while a partition waits for Temporal', labelNames: ['topic', 'partition'], registers }),
    inFlight: new Gauge({ name: 'mainspring_bridge_in_flight', help: 'Tasks queued or running per partition', labelNames: ['topic', 'partition'], registers }),
    lag: new Gauge({ name: 'mainspring_bridge_lag', help: 'Records behind the high watermark after the last batch', labelNames: ['topic', 'partition'], registers }),
    eagerStarts: new Counter({ name: 'mainspring_bridge_eager_starts_total', help: 'Starts whose first workflow task the server handed to a worker of this process', labelNames: ['topic'], registers }),
    acceptSeconds: new Histogram({ name: 'mainspring_bridge_accept_seconds', help: 'Time for Temporal to accept a start', labelNames: ['topic'], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers }),
  };
}
