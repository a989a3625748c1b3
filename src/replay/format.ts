// Text of replay reports and progress, for the CLI.
import type { QualitySummary, ReplayProgress, ReplayReport } from '../../schemas/replay';

const f = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));
const signed = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(4)}`);

function qualityLine(name: string, q: QualitySummary): string {
  return `  ${name.padEnd(22)} AUC ${f(q.rocAuc)}  precision ${f(q.precision)}  recall ${f(q.recall)}  (${q.rows} rows, ${q.positives} fraud, ${q.flagged} flagged)`;
}

export function formatReport(r: ReplayReport): string {
  const lines: string[] = [];
  const range = r.range.partitions.map((p) => `${p.partition}:[${p.start},${p.end})`).join(' ');
  const times = r.range.fromTime || r.range.toTime ? ` (${r.range.fromTime ?? 'start'} → ${r.range.toTime ?? 'end'})` : '';
  lines.push(`${r.replayId}: ${r.kind === 'score' ? `${r.modelName}@${r.modelVersion} at threshold ${r.threshold}` : `feature rebuild ${r.featureSpecVersion}`} over ${r.topic}${times}`);
  lines.push(`  range ${range}`);
  lines.push(`  events: ${r.events.read} read, ${r.events.replayed} replayed, ${r.events.bad} bad, ${r.events.skipped} skipped · ${r.eventsPerSecond} events/s · ${(r.durationMs / 1000).toFixed(1)} s`);
  if (r.kind === 'score') {
    lines.push(`  decided then by: ${r.championVersions.map((c) => `${c.version} (${c.decisions}${c.fallbacks ? `, ${c.fallbacks} rules fallback` : ''})`).join(', ') || 'no decision records'}`);
    if (r.featureMismatches > 0) lines.push(`  recomputed features differ from the logged ones for ${r.featureMismatches} payments`);
    lines.push(`quality on the same ${r.quality.rows} payments (decided then, labelled now):`);
    lines.push(qualityLine(`replayed ${r.modelVersion}`, r.quality.replayed));
    lines.push(qualityLine('champion at the time', r.quality.champion));
    lines.push(`  ${'delta'.padEnd(22)} AUC ${signed(r.quality.delta.rocAuc)}  precision ${signed(r.quality.delta.precision)}  recall ${signed(r.quality.delta.recall)}`);
    lines.push(qualityLine('replayed, all labelled', r.replayedAllLabeled));
    const c = r.changes;
    lines.push(`decisions that would change: ${c.flagToApprove + c.approveToFlag} of ${c.compared} (flag→approve ${c.flagToApprove}, approve→flag ${c.approveToFlag})`);
    lines.push(`  with labels: flag→approve ${c.labeled.flagToApproveLegit} legit / ${c.labeled.flagToApproveFraud} fraud · approve→flag ${c.labeled.approveToFlagFraud} fraud / ${c.labeled.approveToFlagLegit} legit`);
    for (const b of c.byReason.slice(0, 10)) lines.push(`  ${b.reason.padEnd(28)} flag→approve ${String(b.flagToApprove).padStart(5)}  approve→flag ${String(b.approveToFlag).padStart(5)}`);
  } else {
    const fl = r.featureLog;
    lines.push(`feature log: ${fl.inserted} inserted, ${fl.replaced} replaced (other spec), ${fl.identical} identical, ${fl.differs} differ (kept serving's)`);
    if (r.differing.length > 0) lines.push(`  differing: ${r.differing.slice(0, 10).join(', ')}${r.differing.length > 10 ? ', …' : ''}`);
  }
  if (r.events.bad > 0) {
    lines.push(`bad events (${r.events.bad}${r.badEvents.length < r.events.bad ? `, first ${r.badEvents.length}` : ''}):`);
    for (const b of r.badEvents.slice(0, 20)) lines.push(`  ${b.partition}@${b.offset}  ${b.code}: ${b.reason}`);
  }
  return lines.join('\n');
}

/** `[#########-----------]  45% 1234/2700 offsets · 1200 replayed · 3 bad · run 2` */
export function progressLine(p: ReplayProgress, width = 30): string {
  const done = p.partitions.reduce((n, c) => n + (Number(c.next) - Number(c.start)), 0);
  const share = p.total > 0 ? done / p.total : p.phase === 'done' ? 1 : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${done}/${p.total} offsets · ${p.totals.replayed} replayed · ${p.totals.bad} bad · ${p.phase}${p.runs > 1 ? ` · run ${p.runs}` : ''}`;
}
