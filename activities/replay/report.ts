// The replay job's report activity: computed from the rows the chunks stored (upserts keyed by Kafka coordinates), so a
// chunk that ran twice cannot count twice; stored in replay_report and returned.
import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { decision, label, replayBadEvent, replayDecision, replayReport } from '../../src/db/schema';
import { FEATURE_SPEC_VERSION } from '../../src/features/payment-features';
import { championVersions, decisionChanges, pairedQuality, quality, type ReportRow } from '../../src/replay/report';
import type { BuildReportInput, RebuildReport, ReplayReport, ScoreReport } from '../../schemas/replay';
import { DEFAULT_THRESHOLD } from '../../schemas/payment-saga';

/** Bad events and differing payments listed in a report (all are counted). */
export const LIST_LIMIT = 100;

export function createReplayReportActivity(db: Db) {
  return {
    /** The report from the stored rows (so a re-run chunk cannot count twice), stored and returned. */
    async buildReplayReport(input: BuildReportInput): Promise<ReplayReport> {
      const { params, state } = input;
      const durationMs = Math.max(1, Date.now() - Date.parse(state.startedAt));
      const range = { partitions: state.partitions.map(({ partition, start, end }) => ({ partition, start, end })), ...state.resolved };
      const [badCount] = await db.select({ n: count() }).from(replayBadEvent).where(eq(replayBadEvent.replayId, params.replayId));
      const badRows = await db
        .select()
        .from(replayBadEvent)
        .where(eq(replayBadEvent.replayId, params.replayId))
        .orderBy(asc(replayBadEvent.partition), asc(replayBadEvent.offset))
        .limit(LIST_LIMIT);
      const badEvents = badRows.map((b) => ({ partition: b.partition, offset: String(b.offset), code: b.code, reason: b.reason }));
      let report: ReplayReport;
      if (params.kind === 'rebuild-features') {
        const r: RebuildReport = {
          kind: 'rebuild-features',
          replayId: params.replayId,
          topic: params.topic,
          featureSpecVersion: params.featureSpecVersion ?? FEATURE_SPEC_VERSION,
          range,
          events: { read: state.totals.read, replayed: state.totals.replayed, bad: badCount.n, skipped: state.totals.skipped },
          badEvents,
          featureLog: state.rebuild,
          differing: (state.differing ?? []).slice(0, LIST_LIMIT),
          durationMs,
          eventsPerSecond: Math.round((state.totals.read / durationMs) * 1000 * 10) / 10,
        };
        report = r;
      } else {
        // One row per payment (a re-sent payment appears at two offsets; the first is what serving decided on).
        const rows = await db.execute<{
          payment_id: string;
          score: number;
          decision: 'APPROVE' | 'FLAG';
          reasons: Array<{ feature: string; contribution: number }>;
          matches_feature_log: boolean | null;
          c_version: string | null;
          c_score: number | null;
          c_decision: 'APPROVE' | 'FLAG' | null;
          c_fallback: boolean | null;
          c_fallback_reason: string | null;
          c_reasons: Array<{ feature: string; contribution: number }> | null;
          label: 'fraud' | 'legit' | null;
        }>(sql`
          select distinct on (r.payment_id) r.payment_id, r.score, r.decision, r.reasons, r.matches_feature_log,
                 d.model_version as c_version, d.score as c_score, d.decision as c_decision, d.fallback as c_fallback,
                 d.fallback_reason as c_fallback_reason, d.reasons as c_reasons, l.label
          from ${replayDecision} r
          left join ${decision} d on d.payment_id = r.payment_id
          left join ${label} l on l.payment_id = r.payment_id
          where r.replay_id = ${params.replayId}
          order by r.payment_id, r.partition, r.offset`);
        const reportRows: ReportRow[] = rows.rows.map((r) => ({
          paymentId: r.payment_id,
          score: Number(r.score),
          decision: r.decision,
          reasons: r.reasons,
          ...(r.c_decision !== null
            ? {
                champion: {
                  version: r.c_version ?? 'unknown',
                  score: Number(r.c_score),
                  decision: r.c_decision,
                  fallback: r.c_fallback === true,
                  fallbackReason: r.c_fallback_reason,
                  reasons: r.c_reasons ?? [],
                },
              }
            : {}),
          ...(r.label !== null ? { label: r.label } : {}),
        }));
        const labeled = reportRows.filter((r): r is ReportRow & { label: 'fraud' | 'legit' } => r.label !== undefined);
        const r: ScoreReport = {
          kind: 'score',
          replayId: params.replayId,
          topic: params.topic,
          modelName: params.modelName ?? 'fraud',
          modelVersion: params.modelVersion ?? '',
          threshold: params.threshold ?? DEFAULT_THRESHOLD,
          range,
          events: { read: state.totals.read, replayed: reportRows.length, bad: badCount.n, skipped: state.totals.skipped },
          badEvents,
          championVersions: championVersions(reportRows),
          featureMismatches: rows.rows.filter((x) => x.matches_feature_log === false).length,
          quality: pairedQuality(reportRows),
          replayedAllLabeled: quality(labeled.map((x) => ({ score: x.score, decision: x.decision, label: x.label }))),
          changes: decisionChanges(reportRows),
          durationMs,
          eventsPerSecond: Math.round((state.totals.read / durationMs) * 1000 * 10) / 10,
        };
        report = r;
      }
      await db
        .insert(replayReport)
        .values({
          replayId: params.replayId,
          kind: params.kind,
          topic: params.topic,
          modelName: params.kind === 'score' ? (params.modelName ?? 'fraud') : null,
          modelVersion: params.modelVersion ?? null,
          featureSpecVersion: params.kind === 'rebuild-features' ? (params.featureSpecVersion ?? null) : null,
          report: report as unknown as Record<string, unknown>,
        })
        .onConflictDoUpdate({ target: replayReport.replayId, set: { report: sql`excluded.report`, updatedAt: sql`now()` } });
      return report;
    },
  };
}
