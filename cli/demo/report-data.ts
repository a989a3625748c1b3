// Everything the end-of-run HTML report shows, read from PostgreSQL in one pass. Plain JSON-safe data (ISO strings,
// numbers) so the renderer stays pure and a test can build a ReportData by hand.
import { and, asc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import {
  approval,
  decision,
  driftReport,
  featureLog,
  label,
  learningCycle,
  learningTrigger,
  modelAlias,
  modelAliasHistory,
  modelVersion,
} from '../../src/db/schema';
import { FEATURE_NAMES } from '../../src/features/payment-features';
import type { FeatureDrift } from '../../src/model/drift';

export interface ReportSummary {
  decided: number;
  flagged: number;
  approved: number;
  fallbacks: number;
  /** Labels that arrived for payments decided in the window. */
  labels: number;
  fraudLabels: number;
}

/** What the learning loop did in the window: the story the demo tells, one count per step. */
export interface LearningSummary {
  driftChecks: number;
  datasetDrifts: number;
  cycles: number;
  /** Cycles that trained a challenger (not those refused for too little data). */
  retrains: number;
  /** Shadow periods that ended with a comparison. */
  shadowEvaluations: number;
  approvals: number;
  promotions: number;
  rollbacks: number;
}

export interface FeatureSeries {
  name: string;
  before: number[];
  after: number[];
}

export interface ReportDriftReport {
  at: string;
  championVersion: string | null;
  datasetDrift: boolean;
  share: number;
  rows: number;
  features: FeatureDrift[];
}

export interface ReportModelVersion {
  version: string;
  /** Current aliases (champion, shadow, previous) pointing at this version. */
  aliases: string[];
  createdAt: string;
  rows: number;
  rocAuc: number;
  prAuc: number;
  precision: number;
  recall: number;
}

export interface RocPoint {
  fpr: number;
  tpr: number;
}

export interface RocSeries {
  label: string;
  versions: string[];
  positives: number;
  negatives: number;
  /** From (0,0) to (1,1), one point per distinct score threshold, descending. */
  points: RocPoint[];
}

export type TimelineKind = 'trigger' | 'cycle' | 'approval' | 'promotion' | 'rollback' | 'alias' | 'drift';

export interface TimelineEvent {
  at: string;
  kind: TimelineKind;
  title: string;
  detail: string;
}

export interface ReportData {
  modelName: string;
  since: string;
  generatedAt: string;
  summary: ReportSummary;
  /** Absent in reports built by hand (tests); loadReportData always fills it. */
  learning?: LearningSummary;
  /** Where "before" ends and "after" begins: the first dataset drift, else the middle of the window. */
  split: { at: string; basis: 'drift' | 'midpoint' | 'injected' };
  features: FeatureSeries[];
  driftReports: ReportDriftReport[];
  models: ReportModelVersion[];
  roc: RocSeries[];
  timeline: TimelineEvent[];
}

export interface LoadReportOptions {
  modelName: string;
  since: Date;
  /** End of the window; default now. */
  until?: Date;
  /**
   * When the run injected drift (the demo knows): the honest before/after split. Detection comes later — after a
   * whole drift-check window — and in a short run often after the last payment, leaving "after" empty.
   */
  driftInjectedAt?: Date;
}

const iso = (d: Date | string) => (typeof d === 'string' ? new Date(d).toISOString() : d.toISOString());

/**
 * ROC curve over distinct thresholds (ties move together, as scikit-learn's roc_curve does). Labels: 1 positive.
 * Empty when a class is absent: a curve would be meaningless.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[order[j]] === scores[order[i]]) {
      if (labels[order[j]] === 1) tp++;
      else fp++;
      j++;
    }
    points.push({ fpr: fp / neg, tpr: tp / pos });
    i = j;
  }
  return points;
}

interface ScoredRow {
  score: number;
  shadowScore: number | null;
  modelVersion: string;
  shadowVersion: string | null;
  fraud: boolean;
}

function rocSeries(label: string, rows: ScoredRow[], pick: (r: ScoredRow) => number, version: (r: ScoredRow) => string): RocSeries {
  const labels = rows.map((r) => (r.fraud ? 1 : 0));
  const positives = labels.filter((l) => l === 1).length;
  return {
    label,
    versions: [...new Set(rows.map(version))].sort(),
    positives,
    negatives: rows.length - positives,
    points: rocCurve(rows.map(pick), labels),
  };
}

/** Champion on every labelled model-scored payment, then per shadow version the shadow and the champion on the same payments. */
export function buildRocSeries(rows: ScoredRow[]): RocSeries[] {
  const series: RocSeries[] = [];
  if (rows.length > 0) series.push(rocSeries('champion (all labelled)', rows, (r) => r.score, (r) => r.modelVersion));
  const shadowVersions = [...new Set(rows.flatMap((r) => (r.shadowVersion !== null && r.shadowScore !== null ? [r.shadowVersion] : [])))].sort();
  for (const v of shadowVersions) {
    // Paired: the only fair comparison is both models on the same payments.
    const paired = rows.filter((r) => r.shadowVersion === v && r.shadowScore !== null);
    series.push(rocSeries(`champion (paired with ${v})`, paired, (r) => r.score, (r) => r.modelVersion));
    series.push(rocSeries(`shadow ${v}`, paired, (r) => r.shadowScore as number, () => v));
  }
  return series.filter((s) => s.points.length > 0);
}

export async function loadReportData(db: Db, options: LoadReportOptions): Promise<ReportData> {
  const { modelName, since } = options;
  const until = options.until ?? new Date();

  const [counts] = await db
    .select({
      decided: sql<number>`count(*)::int`,
      flagged: sql<number>`count(*) filter (where ${decision.decision} = 'FLAG')::int`,
      fallbacks: sql<number>`count(*) filter (where ${decision.fallback})::int`,
      labels: sql<number>`count(${label.paymentId})::int`,
      fraudLabels: sql<number>`count(*) filter (where ${label.label} = 'fraud')::int`,
    })
    .from(decision)
    .leftJoin(label, eq(label.paymentId, decision.paymentId))
    .where(gte(decision.decidedAt, since));

  const drifts = await db
    .select({ report: driftReport.report, datasetDrift: driftReport.datasetDrift, championVersion: driftReport.championVersion, createdAt: driftReport.createdAt })
    .from(driftReport)
    .where(and(eq(driftReport.modelName, modelName), gte(driftReport.createdAt, since)))
    .orderBy(asc(driftReport.createdAt));
  const firstDrift = drifts.find((d) => d.datasetDrift);

  const vectors = await db
    .select({ vector: featureLog.vector, createdAt: featureLog.createdAt, eventTime: featureLog.eventTime })
    .from(featureLog)
    .where(gte(featureLog.createdAt, since))
    .orderBy(asc(featureLog.createdAt));
  // Without drift, the middle of the logged rows (not of the wall-clock window, which may start long before them).
  const middle = vectors.length > 0 ? vectors[Math.floor(vectors.length / 2)].createdAt : new Date((since.getTime() + until.getTime()) / 2);
  const splitAt = options.driftInjectedAt ?? (firstDrift ? firstDrift.createdAt : middle);
  const features: FeatureSeries[] = FEATURE_NAMES.map((name) => ({ name, before: [], after: [] }));
  for (const row of vectors) {
    // The injection is a moment of event time; a detection is a moment of logging (the saga may lag behind).
    const side = (options.driftInjectedAt ? row.eventTime : row.createdAt) < splitAt ? 'before' : 'after';
    // Vectors are positional in FEATURE_NAMES order (the feature spec); a shorter vector is an older spec.
    for (let i = 0; i < features.length && i < row.vector.length; i++) {
      const v = row.vector[i];
      if (Number.isFinite(v)) features[i][side].push(v);
    }
  }

  const scored = await db
    .select({
      score: decision.score,
      shadowScore: decision.shadowScore,
      modelVersion: decision.modelVersion,
      shadowVersion: decision.shadowVersion,
      label: label.label,
    })
    .from(decision)
    .innerJoin(label, eq(label.paymentId, decision.paymentId))
    .where(and(gte(decision.decidedAt, since), eq(decision.fallback, false), eq(decision.modelName, modelName)));
  const rocRows: ScoredRow[] = scored.map((r) => ({ ...r, fraud: r.label === 'fraud' }));

  const [aliasRows, history, triggers, cycles, approvals] = await Promise.all([
    db.select().from(modelAlias).where(eq(modelAlias.modelName, modelName)),
    db
      .select()
      .from(modelAliasHistory)
      .where(and(eq(modelAliasHistory.modelName, modelName), gte(modelAliasHistory.at, since)))
      .orderBy(asc(modelAliasHistory.at), asc(modelAliasHistory.id)),
    db
      .select()
      .from(learningTrigger)
      .where(and(eq(learningTrigger.modelName, modelName), gte(learningTrigger.at, since)))
      .orderBy(asc(learningTrigger.at)),
    db
      .select()
      .from(learningCycle)
      .where(and(eq(learningCycle.modelName, modelName), gte(learningCycle.startedAt, since)))
      .orderBy(asc(learningCycle.startedAt)),
    db
      .select()
      .from(approval)
      .where(and(eq(approval.modelName, modelName), gte(approval.requestedAt, since)))
      .orderBy(asc(approval.requestedAt)),
  ]);

  // Versions involved: aliased now, moved in the window, scored in the window, or produced by a cycle.
  const involved = new Set<string>();
  for (const a of aliasRows) involved.add(a.version);
  for (const h of history) for (const v of [h.fromVersion, h.toVersion]) if (v) involved.add(v);
  for (const r of rocRows) {
    involved.add(r.modelVersion);
    if (r.shadowVersion) involved.add(r.shadowVersion);
  }
  for (const c of cycles) if (c.candidateVersion) involved.add(c.candidateVersion);
  const versionRows = await db
    .select({ version: modelVersion.version, metrics: modelVersion.metrics, createdAt: modelVersion.createdAt })
    .from(modelVersion)
    .where(eq(modelVersion.modelName, modelName))
    .orderBy(asc(modelVersion.createdAt));
  const models: ReportModelVersion[] = versionRows
    .filter((v) => involved.has(v.version))
    .map((v) => ({
      version: v.version,
      aliases: aliasRows.filter((a) => a.version === v.version).map((a) => a.alias),
      createdAt: iso(v.createdAt),
      rows: v.metrics.rows,
      rocAuc: v.metrics.rocAuc,
      prAuc: v.metrics.prAuc,
      precision: v.metrics.atDecisionThreshold?.precision ?? NaN,
      recall: v.metrics.atDecisionThreshold?.recall ?? NaN,
    }));

  const created = new Map(versionRows.map((v) => [v.version, v.createdAt.getTime()]));
  const timeline: TimelineEvent[] = [];
  for (const d of drifts) {
    if (!d.datasetDrift) continue;
    const drifted = d.report.features.filter((f) => f.drifted).map((f) => f.name);
    timeline.push({ at: iso(d.createdAt), kind: 'drift', title: 'dataset drift', detail: `share ${fmtShare(d.report.share)}: ${drifted.join(', ')}` });
  }
  for (const t of triggers) {
    timeline.push({ at: iso(t.at), kind: 'trigger', title: `trigger ${t.kind} → ${t.outcome}`, detail: t.reason });
  }
  for (const c of cycles) {
    const detail = [c.candidateVersion ? `candidate ${c.candidateVersion}` : null, c.outcomeReason].filter(Boolean).join(': ');
    timeline.push({ at: iso(c.startedAt), kind: 'cycle', title: `cycle #${c.number} started (${c.triggerKind})`, detail: c.triggerReason });
    if (c.outcome) timeline.push({ at: iso(c.endedAt ?? c.updatedAt), kind: 'cycle', title: `cycle #${c.number} ${c.outcome}`, detail });
    else timeline.push({ at: iso(c.updatedAt), kind: 'cycle', title: `cycle #${c.number} in ${c.phase}`, detail });
  }
  for (const a of approvals) {
    timeline.push({ at: iso(a.requestedAt), kind: 'approval', title: `approval requested for ${a.version}`, detail: `deadline ${iso(a.deadline)}` });
    if (a.decidedAt) {
      const who = a.decidedBy ? ` by ${a.decidedBy}` : '';
      timeline.push({ at: iso(a.decidedAt), kind: 'approval', title: `${a.version} ${a.status}${who}`, detail: [a.via ? `via ${a.via}` : null, a.reason].filter(Boolean).join(': ') });
    }
  }
  for (const h of history) {
    timeline.push({ at: iso(h.at), ...aliasEvent(h, created), detail: `by ${h.actor}: ${h.reason}` });
  }
  timeline.sort((a, b) => a.at.localeCompare(b.at));

  return {
    modelName,
    since: iso(since),
    generatedAt: iso(until),
    summary: {
      decided: counts?.decided ?? 0,
      flagged: counts?.flagged ?? 0,
      approved: (counts?.decided ?? 0) - (counts?.flagged ?? 0),
      fallbacks: counts?.fallbacks ?? 0,
      labels: counts?.labels ?? 0,
      fraudLabels: counts?.fraudLabels ?? 0,
    },
    learning: {
      driftChecks: drifts.length,
      datasetDrifts: drifts.filter((d) => d.datasetDrift).length,
      cycles: cycles.length,
      retrains: cycles.filter((c) => c.training !== null).length,
      shadowEvaluations: cycles.filter((c) => c.shadow?.comparison !== undefined).length,
      approvals: approvals.filter((a) => a.status === 'approved').length,
      promotions: timeline.filter((e) => e.kind === 'promotion').length,
      rollbacks: timeline.filter((e) => e.kind === 'rollback').length,
    },
    split: { at: iso(splitAt), basis: options.driftInjectedAt ? 'injected' : firstDrift ? 'drift' : 'midpoint' },
    features,
    driftReports: drifts.map((d) => ({
      at: iso(d.createdAt),
      championVersion: d.championVersion,
      datasetDrift: d.datasetDrift,
      share: d.report.share,
      rows: d.report.rows,
      features: d.report.features,
    })),
    models,
    roc: buildRocSeries(rocRows),
    timeline,
  };
}

const fmtShare = (s: number) => `${Math.round(s * 100)}%`;

function aliasEvent(
  h: { alias: string; fromVersion: string | null; toVersion: string | null; reason: string },
  created: Map<string, number>,
): Pick<TimelineEvent, 'kind' | 'title'> {
  const from = h.fromVersion ?? '–';
  const to = h.toVersion ?? '–';
  if (h.alias === 'champion') {
    // promote() and rollback() both just move the champion: moving it back to an older version is a rollback.
    const fromAt = h.fromVersion ? created.get(h.fromVersion) : undefined;
    const toAt = h.toVersion ? created.get(h.toVersion) : undefined;
    const rollback = (fromAt !== undefined && toAt !== undefined && toAt < fromAt) || /rollback|rolled back/i.test(h.reason);
    return { kind: rollback ? 'rollback' : 'promotion', title: `champion ${from} → ${to}${rollback ? ' (rollback)' : ''}` };
  }
  return { kind: 'alias', title: `${h.alias} ${from} → ${to}` };
}
