// The replay report's arithmetic: the replayed model against what the champion decided at the time and against the
// labels known now. Pure; the report activity loads the rows.
import { rocAuc } from '../model/metrics';
import type { DecisionChanges, QualitySummary } from '../../schemas/replay';

export type Verdict = 'APPROVE' | 'FLAG';

export interface ReportRow {
  paymentId: string;
  score: number;
  decision: Verdict;
  /** Top contributions of the replayed model, largest magnitude first. */
  reasons: Array<{ feature: string; contribution: number }>;
  /** What decided at the time (the decision record), when there is one. */
  champion?: {
    version: string;
    score: number;
    decision: Verdict;
    fallback: boolean;
    fallbackReason?: string | null;
    reasons: Array<{ feature: string; contribution: number }>;
  };
  label?: 'fraud' | 'legit';
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** AUC of the scores, precision and recall of the decisions (FLAG = predicted fraud). Undefined values are null. */
export function quality(rows: ReadonlyArray<{ score: number; decision: Verdict; label: 'fraud' | 'legit' }>): QualitySummary {
  const y = rows.map((r) => (r.label === 'fraud' ? 1 : 0));
  const positives = y.reduce<number>((n, v) => n + v, 0);
  let flagged = 0;
  let tp = 0;
  rows.forEach((r, i) => {
    if (r.decision === 'FLAG') {
      flagged++;
      tp += y[i];
    }
  });
  return {
    rows: rows.length,
    positives,
    rocAuc: rows.length > 0 ? finite(rocAuc(rows.map((r) => r.score), y)) : null,
    precision: flagged > 0 ? tp / flagged : null,
    recall: positives > 0 ? tp / positives : null,
    flagged,
  };
}

const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

/** Replayed vs champion on the same rows: those decided at the time and labelled now. */
export function pairedQuality(rows: readonly ReportRow[]): { rows: number; replayed: QualitySummary; champion: QualitySummary; delta: { rocAuc: number | null; precision: number | null; recall: number | null } } {
  const paired = rows.filter((r): r is ReportRow & { champion: NonNullable<ReportRow['champion']>; label: 'fraud' | 'legit' } => r.champion !== undefined && r.label !== undefined);
  const replayed = quality(paired.map((r) => ({ score: r.score, decision: r.decision, label: r.label })));
  const champion = quality(paired.map((r) => ({ score: r.champion.score, decision: r.champion.decision, label: r.label })));
  return {
    rows: paired.length,
    replayed,
    champion,
    delta: { rocAuc: diff(replayed.rocAuc, champion.rocAuc), precision: diff(replayed.precision, champion.precision), recall: diff(replayed.recall, champion.recall) },
  };
}

/** The feature that pushed hardest toward fraud (else the largest one), as reason codes read. */
function topReason(reasons: ReadonlyArray<{ feature: string; contribution: number }>): string {
  const toward = reasons.find((r) => r.contribution > 0) ?? reasons[0];
  return toward?.feature ?? 'unknown';
}

/**
 * Decisions that would change. The reason of a change is what flagged: for approve → flag the replayed model's top
 * reason, for flag → approve the champion's (`fallback:<why>` when the rules decided then).
 */
export function decisionChanges(rows: readonly ReportRow[]): DecisionChanges {
  const out: DecisionChanges = {
    compared: 0,
    unchanged: 0,
    flagToApprove: 0,
    approveToFlag: 0,
    byReason: [],
    labeled: { flagToApproveLegit: 0, flagToApproveFraud: 0, approveToFlagFraud: 0, approveToFlagLegit: 0 },
  };
  const byReason = new Map<string, { reason: string; flagToApprove: number; approveToFlag: number }>();
  for (const r of rows) {
    if (!r.champion) continue;
    out.compared++;
    if (r.champion.decision === r.decision) {
      out.unchanged++;
      continue;
    }
    const toFlag = r.decision === 'FLAG';
    const reason = toFlag
      ? topReason(r.reasons)
      : r.champion.fallback
        ? `fallback:${r.champion.fallbackReason ?? 'rules'}`
        : topReason(r.champion.reasons);
    const entry = byReason.get(reason) ?? { reason, flagToApprove: 0, approveToFlag: 0 };
    byReason.set(reason, entry);
    if (toFlag) {
      out.approveToFlag++;
      entry.approveToFlag++;
      if (r.label === 'fraud') out.labeled.approveToFlagFraud++;
      if (r.label === 'legit') out.labeled.approveToFlagLegit++;
    } else {
      out.flagToApprove++;
      entry.flagToApprove++;
      if (r.label === 'legit') out.labeled.flagToApproveLegit++;
      if (r.label === 'fraud') out.labeled.flagToApproveFraud++;
    }
  }
  out.byReason = [...byReason.values()].sort((a, b) => b.flagToApprove + b.approveToFlag - (a.flagToApprove + a.approveToFlag) || a.reason.localeCompare(b.reason));
  return out;
}

/** Which versions decided the replayed events at the time. */
export function championVersions(rows: readonly ReportRow[]): Array<{ version: string; decisions: number; fallbacks: number }> {
  const m = new Map<string, { version: string; decisions: number; fallbacks: number }>();
  for (const r of rows) {
    if (!r.champion) continue;
    const e = m.get(r.champion.version) ?? { version: r.champion.version, decisions: 0, fallbacks: 0 };
    e.decisions++;
    if (r.champion.fallback) e.fallbacks++;
    m.set(r.champion.version, e);
  }
  return [...m.values()].sort((a, b) => b.decisions - a.decisions || a.version.localeCompare(b.version));
}
