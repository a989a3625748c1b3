// The learning loop's optional backfill gate: the challenger replayed over recent history (a replay job) against what
// the champion decided on the same payments at the time, both measured on the labels known now. Pure.
import type { BackfillGateResult, ScoreReport } from '../../schemas/replay';

export type { BackfillGateResult };


const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));

/** Fails when the challenger's AUC is below the champion's by more than the tolerance; too few rows pass as inconclusive. */
export function judgeBackfill(report: ScoreReport, cfg: { maxAucDrop: number; minLabeled: number }, window: { from: string; to: string }): BackfillGateResult {
  const q = report.quality;
  const base = {
    replayId: report.replayId,
    from: window.from,
    to: window.to,
    rows: q.rows,
    challengerAuc: q.replayed.rocAuc,
    championAuc: q.champion.rocAuc,
    aucDelta: q.delta.rocAuc,
    maxAucDrop: cfg.maxAucDrop,
    flagToApprove: report.changes.flagToApprove,
    approveToFlag: report.changes.approveToFlag,
    badEvents: report.events.bad,
  };
  if (q.rows < cfg.minLabeled || q.delta.rocAuc === null) {
    return { ...base, passed: true, reason: `inconclusive: ${q.rows} replayed payments with a decision and a label (at least ${cfg.minLabeled} needed, both classes)` };
  }
  const ok = q.delta.rocAuc >= -cfg.maxAucDrop;
  const what = `challenger AUC ${f(q.replayed.rocAuc)} vs champion at the time ${f(q.champion.rocAuc)} on ${q.rows} payments: ${q.delta.rocAuc >= 0 ? '+' : ''}${q.delta.rocAuc.toFixed(4)}`;
  return { ...base, passed: ok, reason: ok ? `${what} (tolerance -${cfg.maxAucDrop})` : `${what} < -${cfg.maxAucDrop}` };
}
