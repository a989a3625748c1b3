// Activities of the replay job (workflows/replay-job/replay-job.workflow.ts): plan the offset range, replay it chunk by chunk,
// build the report. They never act: no hold, no notification, no Kafka publish, no change to the online store.
//
// A chunk recomputes each payment's features as the serving path computed them (the saga's own mapping,
// enrichmentFeatures, on point-in-time inputs: see src/replay/point-in-time.ts) and either scores them with the given
// model version (rows in replay_decision) or rebuilds the feature log. Every write is an upsert keyed by the replay
// id and the event's Kafka coordinates, so a chunk that runs again overwrites its own rows; the report is computed
// from those rows, never from counters that a retried chunk could inflate.
import { ApplicationFailure } from '@temporalio/activity';
import { inArray, sql } from 'drizzle-orm';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { PaymentInitiatedV1 } from '../schemas';
import type { PermanentFailureCode } from '../schemas/failures';
import type { Db } from '../src/db/client';
import { featureLog, replayBadEvent, replayDecision } from '../src/db/schema';
import { FEATURE_SPEC_VERSION, isLateEvent, VELOCITY_WINDOW_MS } from '../src/features/payment-features';
import { decodeRecord } from '../src/kafka/cloudevents-binding';
import { getVersion } from '../src/model/registry';
import { ModelRuntime } from '../src/model/runtime';
import type { Logger } from '../src/observability/logger';
import { readPartitionRange } from '../src/replay/kafka-range';
import { LogVelocity, profileAsOf, sameVector } from '../src/replay/point-in-time';
import { DEFAULT_THRESHOLD, decide } from '../schemas/payment-saga';
import { enrichInput } from './payment-steps';
import type {
  PlanReplayInput,
  PlanReplayResult,
  RebuildCounters,
  ReplayBound,
  ReplayChunkInput,
  ReplayChunkResult,
} from '../schemas/replay';
import { activitySignal, beat } from './activity-context';
import { enrichmentFeatures } from './enrichment.activities';
import { loadPointInTimeData } from './replay/point-in-time-data';
import { createReplayReportActivity, LIST_LIMIT } from './replay/report';

export interface ReplayActivityDeps {
  db: Db;
  /** The caller's Kafka client; activities create short-lived admins and consumers from it. */
  kafka: Kafka;
  logger?: Logger;
}

/** Error type of requests no retry can fix (unknown topic, partition, model version, spec). */
export const REPLAY_INPUT_INVALID = 'ReplayInputInvalid' satisfies PermanentFailureCode;

/** Event time vs Kafka timestamp tolerance when looking back for velocity (producer clocks are not exact). */
const CLOCK_SKEW_MS = 60_000;
/** Longest look back before a chunk: a payment arriving later than this has its velocity from what is in reach. */
const MAX_LOOKBACK_MS = 15 * 60_000;
const SCORE_SLICE = 256;

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: REPLAY_INPUT_INVALID, nonRetryable: true });
}

/**
 * A plain (retryable) error, not a CancelledFailure: the job did not ask for the cancel, its worker is going away, so
 * the chunk must run again elsewhere from its start offset.
 */
function stopIfInterrupted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new Error(`replay chunk interrupted ${where} (${String(signal.reason ?? 'cancelled')}); it runs again from its start offset`);
}

interface Parsed {
  offset: number;
  kafkaTs: number;
  payment: PaymentInitiatedV1;
  envelopeTime: string;
  eventMs: number;
}

type Classified = { ok: true; event: Parsed } | { ok: false; offset: number; code: string; reason: string } | { ok: 'skip'; offset: number };

/** The bridge's own checks, in its order: a record it would have sent to the DLQ is a bad event here. */
function classify(m: KafkaMessage): Classified {
  const offset = Number(m.offset);
  if (m.value === null) return { ok: 'skip', offset }; // a tombstone deletes, it carries no event
  if (m.key === null || m.key.length === 0) return { ok: false, offset, code: 'MISSING_KEY', reason: 'record has no key (the key is the event subject)' };
  const parsed = decodeRecord(m);
  if (!parsed.ok) return { ok: false, offset, code: parsed.code, reason: parsed.path ? `${parsed.message} (${parsed.path})` : parsed.message };
  if (parsed.type !== 'payments.initiated') return { ok: false, offset, code: 'ROUTE_MISMATCH', reason: `type ${parsed.type} is not a payment` };
  const payment = parsed.data as PaymentInitiatedV1;
  const envelopeTime = parsed.envelope.time;
  return { ok: true, event: { offset, kafkaTs: Number(m.timestamp), payment, envelopeTime, eventMs: Date.parse(payment.eventTime ?? envelopeTime) } };
}

export function createReplayActivities(deps: ReplayActivityDeps) {
  const { db, kafka } = deps;
  const logger = deps.logger?.child({ component: 'replay-activities' });
  // One runtime per replayed version, kept while the worker lives: chunks of a job reuse the loaded session.
  const runtimes = new Map<string, Promise<ModelRuntime>>();

  async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  function runtimeFor(modelName: string, version: string): Promise<ModelRuntime> {
    const key = `${modelName}@${version}`;
    let rt = runtimes.get(key);
    if (!rt) {
      rt = (async () => {
        const record = await getVersion(db, modelName, version);
        if (!record) throw invalid(`model ${modelName} has no version ${version}`);
        if (record.featureSpecVersion !== FEATURE_SPEC_VERSION) {
          throw invalid(`${version} was trained on feature spec ${record.featureSpecVersion}; this build computes ${FEATURE_SPEC_VERSION}`);
        }
        // A replay has no latency budget to protect: only real model errors may stop it, never slowness.
        const runtime = new ModelRuntime({ modelName, scoreShadow: false, timeoutMs: 60_000, breaker: { latencyBudgetMicros: 60_000_000, slowCallThreshold: 1e9, failureThreshold: 3 } });
        await runtime.setChampion(version, record.artifact, record.sha256);
        return runtime;
      })();
      rt.catch(() => runtimes.delete(key));
      runtimes.set(key, rt);
    }
    return rt;
  }

  /**
   * Earlier payments of the partition that can fall into a chunk event's velocity window: a payment's Kafka
   * timestamp is at or after its event time, so everything earlier than the chunk's first event time minus the window
   * (and the clock skew) is out of every window.
   */
  async function lookback(topic: string, partition: number, from: number, events: Parsed[]): Promise<Parsed[]> {
    if (events.length === 0 || from === 0) return [];
    const firstTs = events[0].kafkaTs;
    const earliestEvent = events.reduce((m, e) => Math.min(m, e.eventMs), Infinity);
    const since = Math.max(earliestEvent - VELOCITY_WINDOW_MS - CLOCK_SKEW_MS, firstTs - MAX_LOOKBACK_MS);
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsetsByTimestamp(topic, since));
    const start = Number(offsets.find((o) => o.partition === partition)?.offset ?? from);
    if (start >= from) return [];
    const read = await readPartitionRange(kafka, { topic, partition, start, end: from, max: Number.MAX_SAFE_INTEGER, onBatch: (n) => beat({ lookback: n }), signal: activitySignal() });
    const out: Parsed[] = [];
    for (const m of read.messages) {
      const c = classify(m);
      if (c.ok === true) out.push(c.event);
    }
    return out;
  }

  async function resolveBound(admin: ReturnType<Kafka['admin']>, topic: string, bound: ReplayBound | undefined, fallback: Map<number, number>): Promise<{ offsets: Map<number, number>; time?: string }> {
    if (!bound) return { offsets: fallback };
    if ('offset' in bound) {
      const o = Number(bound.offset);
      if (!Number.isInteger(o) || o < 0) throw invalid(`offset must be a whole number ≥ 0, got ${JSON.stringify(bound.offset)}`);
      return { offsets: new Map([...fallback.keys()].map((p) => [p, o])) };
    }
    const ms = Date.parse(bound.time);
    if (Number.isNaN(ms)) throw invalid(`not an ISO-8601 time: ${JSON.stringify(bound.time)}`);
    const found = await admin.fetchTopicOffsetsByTimestamp(topic, ms);
    return { offsets: new Map(found.map((f) => [f.partition, Number(f.offset)])), time: new Date(ms).toISOString() };
  }

  return {
    ...createReplayReportActivity(db),

    /** Resolves the range to [start, end) per partition, clipped to what the log holds now. */
    async planReplay(input: PlanReplayInput): Promise<PlanReplayResult> {
      return withAdmin(async (admin) => {
        const topics = await admin.listTopics();
        if (!topics.includes(input.topic)) throw invalid(`topic ${input.topic} does not exist`);
        const watermarks = await admin.fetchTopicOffsets(input.topic);
        const parts = watermarks.filter((w) => input.partition === undefined || w.partition === input.partition).sort((a, b) => a.partition - b.partition);
        if (parts.length === 0) throw invalid(`topic ${input.topic} has no partition ${input.partition}`);
        const low = new Map(parts.map((w) => [w.partition, Number(w.low)]));
        const high = new Map(parts.map((w) => [w.partition, Number(w.high)]));
        const from = await resolveBound(admin, input.topic, input.from, low);
        const to = await resolveBound(admin, input.topic, input.to, high);
        return {
          partitions: parts.map((w) => {
            const lo = low.get(w.partition) ?? 0;
            const hi = high.get(w.partition) ?? 0;
            const start = Math.min(hi, Math.max(lo, from.offsets.get(w.partition) ?? lo));
            const end = Math.max(start, Math.min(hi, to.offsets.get(w.partition) ?? hi));
            return { partition: w.partition, start: String(start), end: String(end) };
          }),
          ...(from.time ? { fromTime: from.time } : {}),
          ...(to.time ? { toTime: to.time } : {}),
        };
      });
    },

    /** Reads, parses, recomputes and scores (or rebuilds) one chunk of one partition; upserts its rows. */
    async replayChunk(input: ReplayChunkInput): Promise<ReplayChunkResult> {
      const { params } = input;
      const { topic } = params;
      const end = Number(input.end);
      let from = Number(input.from);
      if (params.kind === 'rebuild-features' && params.featureSpecVersion !== FEATURE_SPEC_VERSION) {
        throw ApplicationFailure.create({ type: 'FEATURE_SPEC_MISMATCH' satisfies PermanentFailureCode, nonRetryable: true, message: `this build computes feature spec ${FEATURE_SPEC_VERSION}, not ${params.featureSpecVersion}` });
      }
      const runtime = params.kind === 'score' ? await runtimeFor(params.modelName ?? 'fraud', params.modelVersion ?? '') : null;
      // Retention may have deleted the start since the plan: carry on from the oldest record that is still there.
      const watermarks = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
      const low = Number(watermarks.find((w) => w.partition === input.partition)?.low ?? 0);
      if (from < low) from = Math.min(low, end);

      const signal = activitySignal();
      beat({ partition: input.partition, from });
      const read = await readPartitionRange(kafka, { topic, partition: input.partition, start: from, end, max: input.maxEvents, onBatch: (n) => beat({ partition: input.partition, read: n }), signal });
      const events: Parsed[] = [];
      const bad: Array<{ offset: number; code: string; reason: string }> = [];
      let skipped = 0;
      for (const m of read.messages) {
        const c = classify(m);
        if (c.ok === true) events.push(c.event);
        else if (c.ok === false) bad.push(c);
        else skipped++;
      }

      const velocity = new LogVelocity();
      for (const e of await lookback(topic, input.partition, from, events)) velocity.observe(e.payment.userId, e.payment.paymentId, e.eventMs);
      const userIds = [...new Set(events.map((e) => e.payment.userId))];
      const paymentIds = [...new Set(events.map((e) => e.payment.paymentId))];
      const [{ profiles, changes }, logged] = await Promise.all([
        loadPointInTimeData(db, userIds),
        paymentIds.length > 0 ? db.select().from(featureLog).where(inArray(featureLog.paymentId, paymentIds)) : Promise.resolve([]),
      ]);
      const loggedBy = new Map(logged.map((l) => [l.paymentId, l]));

      // Features as of when serving processed each payment: its feature-log row's time when serving logged it,
      // else the Kafka timestamp (serving cannot have processed it earlier).
      const computed = events.map((e) => {
        const log = loggedBy.get(e.payment.paymentId);
        const asOfMs = log ? log.createdAt.getTime() : e.kafkaTs;
        const enrich = enrichInput(e.payment, e.envelopeTime, new Date(asOfMs).toISOString());
        const v60 = velocity.observe(e.payment.userId, e.payment.paymentId, e.eventMs);
        const profile = profileAsOf(profiles.get(e.payment.userId), changes.get(e.payment.userId) ?? [], asOfMs);
        const vector = enrichmentFeatures(enrich, profile, v60, isLateEvent(e.eventMs, asOfMs));
        const values = Array.from(vector.values);
        return { e, asOfMs, vector, values, log };
      });

      let rebuild: RebuildCounters | undefined;
      const differing: string[] = [];
      if (runtime) {
        const threshold = params.threshold ?? DEFAULT_THRESHOLD;
        const rows: Array<typeof replayDecision.$inferInsert> = [];
        for (let i = 0; i < computed.length; i += SCORE_SLICE) {
          stopIfInterrupted(signal, 'while scoring');
          const slice = computed.slice(i, i + SCORE_SLICE);
          const scored = await runtime.scoreBatch(slice.map((c) => c.vector));
          scored.forEach((s, j) => {
            if (s.fallback) throw new Error(`model ${params.modelVersion} could not score (${s.fallbackReason}); the chunk is retried`);
            const c = slice[j];
            rows.push({
              replayId: params.replayId,
              topic,
              partition: input.partition,
              offset: c.e.offset,
              paymentId: c.e.payment.paymentId,
              eventTime: new Date(c.e.eventMs),
              modelName: params.modelName ?? 'fraud',
              modelVersion: s.modelVersion,
              featureSpecVersion: c.vector.specVersion,
              score: s.probability,
              threshold,
              decision: decide(s.probability, threshold),
              reasons: s.reasons.map((r) => ({ feature: r.feature, contribution: r.contribution })),
              features: { ...c.vector.named },
              asOf: new Date(c.asOfMs),
              matchesFeatureLog: c.log ? c.log.featureSpecVersion === c.vector.specVersion && sameVector(c.log.vector, c.values) : null,
            });
          });
          beat({ partition: input.partition, scored: i + slice.length });
        }
        stopIfInterrupted(signal, 'before writing');
        if (rows.length > 0) {
          await db
            .insert(replayDecision)
            .values(rows)
            .onConflictDoUpdate({
              target: [replayDecision.replayId, replayDecision.topic, replayDecision.partition, replayDecision.offset],
              set: {
                paymentId: sql`excluded.payment_id`,
                eventTime: sql`excluded.event_time`,
                modelVersion: sql`excluded.model_version`,
                score: sql`excluded.score`,
                threshold: sql`excluded.threshold`,
                decision: sql`excluded.decision`,
                reasons: sql`excluded.reasons`,
                features: sql`excluded.features`,
                asOf: sql`excluded.as_of`,
                matchesFeatureLog: sql`excluded.matches_feature_log`,
                updatedAt: sql`now()`,
              },
            });
        }
      } else {
        rebuild = { inserted: 0, replaced: 0, identical: 0, differs: 0 };
        const counters = rebuild;
        await db.transaction(async (tx) => {
          const seen = new Set<string>();
          for (const c of computed) {
            const id = c.e.payment.paymentId;
            if (seen.has(id)) continue; // a re-sent payment: the log keeps the first
            seen.add(id);
            if (c.log && c.log.featureSpecVersion === c.vector.specVersion) {
              // Serving's row of this spec is what the model saw: kept, only compared.
              if (sameVector(c.log.vector, c.values)) counters.identical++;
              else {
                counters.differs++;
                if (differing.length < LIST_LIMIT) differing.push(id);
              }
              continue;
            }
            const row = { paymentId: id, featureSpecVersion: c.vector.specVersion, features: { ...c.vector.named }, vector: c.values, eventTime: new Date(c.e.eventMs), createdAt: new Date(c.asOfMs) };
            if (c.log) counters.replaced++;
            else counters.inserted++;
            // created_at = the as-of time, so a later rebuild computes this payment as of the same moment.
            await tx
              .insert(featureLog)
              .values(row)
              .onConflictDoUpdate({
                target: featureLog.paymentId,
                set: { featureSpecVersion: row.featureSpecVersion, features: row.features, vector: row.vector, eventTime: row.eventTime, createdAt: row.createdAt },
                setWhere: sql`${featureLog.featureSpecVersion} <> ${row.featureSpecVersion}`,
              });
          }
        });
      }

      if (bad.length > 0) {
        await db
          .insert(replayBadEvent)
          .values(bad.map((b) => ({ replayId: params.replayId, topic, partition: input.partition, offset: b.offset, code: b.code, reason: b.reason.slice(0, 1000) })))
          .onConflictDoUpdate({
            target: [replayBadEvent.replayId, replayBadEvent.topic, replayBadEvent.partition, replayBadEvent.offset],
            set: { code: sql`excluded.code`, reason: sql`excluded.reason`, updatedAt: sql`now()` },
          });
      }
      logger?.debug({ replayId: params.replayId, partition: input.partition, from, next: read.next, events: events.length, bad: bad.length }, 'replay chunk done');
      return {
        next: String(read.next),
        counts: { read: read.next - Number(input.from), replayed: events.length, bad: bad.length, skipped },
        ...(rebuild ? { rebuild, differing } : {}),
      };
    },
  };
}

export type ReplayActivities = ReturnType<typeof createReplayActivities>;
