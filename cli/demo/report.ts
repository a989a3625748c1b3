// The end-of-run HTML report of `npm start`: one self-contained file (inline CSS and SVG, no scripts, no external
// assets) so it opens from disk anywhere and can be attached to an issue as is. Pure rendering; data comes from
// report-data.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FeatureSeries, LearningSummary, ReportData, ReportDriftReport, RocPoint, RocSeries, TimelineEvent } from './report-data';

export type { ReportData } from './report-data';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every string that comes from data goes through this (element content and attribute values alike). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface Histogram {
  /** bins + 1 edges, shared by both sides so the bars compare like for like. */
  edges: number[];
  before: number[];
  after: number[];
}

/** Equal-width bins over the range of both samples; one bin per value for small integer ranges (binary flags). */
export function histogram(before: readonly number[], after: readonly number[], bins = 20): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  let integral = true;
  for (const xs of [before, after]) {
    for (const x of xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (integral && !Number.isInteger(x)) integral = false;
    }
  }
  if (lo === Infinity) return { edges: [0, 1], before: [0], after: [0] };
  let edges: number[];
  if (integral && hi - lo < bins) {
    // Centre each integer in its own bin: 0/1 flags read as two bars, not two slivers at the ends.
    edges = Array.from({ length: hi - lo + 2 }, (_, i) => lo - 0.5 + i);
  } else if (hi === lo) {
    edges = [lo - 0.5, hi + 0.5];
  } else {
    edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  }
  const n = edges.length - 1;
  const width = edges[n] - edges[0];
  const count = (xs: readonly number[]) => {
    const out = new Array<number>(n).fill(0);
    for (const x of xs) out[Math.min(n - 1, Math.max(0, Math.floor(((x - edges[0]) / width) * n)))]++;
    return out;
  };
  return { edges, before: count(before), after: count(after) };
}

/** Area under a ROC curve by the trapezoid rule (points sorted by fpr, as rocCurve returns them). */
export function aucFromPoints(points: readonly RocPoint[]): number {
  if (points.length < 2) return NaN;
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr)) / 2;
  return area;
}

const fmt = (n: number | null | undefined, digits = 3) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const fmtInt = (n: number) => n.toLocaleString('en-US');
const fmtTime = (isoTime: string) => escapeHtml(isoTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

const COLORS = { before: '#4c78a8', after: '#f58518' };
const SERIES_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#b279a2', '#72b7b2', '#9d755d'];

function histogramSvg(series: FeatureSeries): string {
  const h = histogram(series.before, series.after);
  const w = 220;
  const ht = 56;
  const n = h.before.length;
  // Shares, not counts: the two windows hold different numbers of rows.
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => (total === 0 ? 0 : x / total));
  };
  const b = share(h.before);
  const a = share(h.after);
  const top = Math.max(...b, ...a, 1e-9);
  const bw = w / n;
  const bars = (xs: number[], color: string, offset: number) =>
    xs
      .map((x, i) => {
        const bh = (x / top) * (ht - 2);
        return `<rect x="${(i * bw + offset).toFixed(1)}" y="${(ht - bh).toFixed(1)}" width="${Math.max(0.5, bw / 2 - 0.5).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"/>`;
      })
      .join('');
  const label = `${escapeHtml(series.name)}: before n=${series.before.length}, after n=${series.after.length}`;
  return (
    `<svg class="hist" width="${w}" height="${ht + 14}" viewBox="0 0 ${w} ${ht + 14}" role="img" aria-label="${label}" data-bins="${n}">` +
    `<title>${label}</title>${bars(b, COLORS.before, 0)}${bars(a, COLORS.after, bw / 2)}` +
    `<line x1="0" y1="${ht}" x2="${w}" y2="${ht}" stroke="#999"/>` +
    `<text x="0" y="${ht + 12}" class="axis">${escapeHtml(fmtEdge(h.edges[0]))}</text>` +
    `<text x="${w}" y="${ht + 12}" class="axis" text-anchor="end">${escapeHtml(fmtEdge(h.edges[n]))}</text></svg>`
  );
}

const fmtEdge = (x: number) => (Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

/** The drift report the table shows: the first with dataset drift (what triggered learning), else the latest. */
function referenceDrift(reports: readonly ReportDriftReport[]): ReportDriftReport | undefined {
  return reports.find((r) => r.datasetDrift) ?? reports[reports.length - 1];
}

function driftSection(data: ReportData): string {
  const ref = referenceDrift(data.driftReports);
  const rows = data.features
    .map((f) => {
      const d = ref?.features.find((x) => x.name === f.name);
      const verdict = d ? (d.drifted ? '<span class="bad">drifted</span>' : '<span class="ok">stable</span>') : '<span class="muted">not checked</span>';
      return (
        `<tr><td><code>${escapeHtml(f.name)}</code></td>` +
        `<td class="num">${fmt(mean(f.before))}</td><td class="num">${fmt(mean(f.after))}</td>` +
        `<td>${d ? escapeHtml(d.statisticName) : '–'}</td><td class="num">${fmt(d?.statistic, 4)}</td><td class="num">${fmt(d?.threshold, 4)}</td>` +
        `<td>${verdict}</td><td>${histogramSvg(f)}</td></tr>`
      );
    })
    .join('\n');
  const basis =
    data.split.basis === 'injected'
      ? `split where the run injected drift, ${fmtTime(data.split.at)}`
      : data.split.basis === 'drift'
      ? `split at the first dataset drift detected, ${fmtTime(data.split.at)}`
      : `no dataset drift detected: split at the middle of the run, ${fmtTime(data.split.at)}`;
  const statsFrom = ref ? `statistics from the drift check of ${fmtTime(ref.at)} (share drifted ${fmt(ref.share * 100, 0)}%, ${fmtInt(ref.rows)} rows)` : 'no drift check ran in this window';
  const checks = data.driftReports
    .map(
      (r) =>
        `<tr><td>${fmtTime(r.at)}</td><td>${escapeHtml(r.championVersion ?? '–')}</td><td class="num">${fmtInt(r.rows)}</td>` +
        `<td class="num">${fmt(r.share * 100, 0)}%</td><td>${r.datasetDrift ? '<span class="bad">dataset drift</span>' : '<span class="ok">no</span>'}</td>` +
        `<td>${r.features.filter((f) => f.drifted).map((f) => `<code>${escapeHtml(f.name)}</code>`).join(' ') || '–'}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Feature drift</h2>
<p class="muted">Before vs after: ${basis}; ${statsFrom}. Histograms show the share of rows per bin, bins shared by both windows.
<span class="swatch" style="background:${COLORS.before}"></span> before <span class="swatch" style="background:${COLORS.after}"></span> after</p>
<table><thead><tr><th>feature</th><th>mean before</th><th>mean after</th><th>test</th><th>statistic</th><th>threshold</th><th></th><th>distribution</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h3>Drift checks (${data.driftReports.length})</h3>
${data.driftReports.length === 0 ? '<p class="muted">none</p>' : `<table><thead><tr><th>at</th><th>champion</th><th>rows</th><th>share drifted</th><th>verdict</th><th>drifted features</th></tr></thead><tbody>\n${checks}\n</tbody></table>`}
</section>`;
}

/** At most ~max points for the polyline (the AUC is computed from every point). */
function thin(points: readonly RocPoint[], max = 400): RocPoint[] {
  if (points.length <= max) return [...points];
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}

function rocSvg(series: readonly RocSeries[]): string {
  const size = 320;
  const pad = 36;
  const plot = size - pad - 8;
  const x = (fpr: number) => (pad + fpr * plot).toFixed(1);
  const y = (tpr: number) => (8 + (1 - tpr) * plot).toFixed(1);
  const lines = series
    .map((s, i) => {
      const pts = thin(s.points)
        .map((p) => `${x(p.fpr)},${y(p.tpr)}`)
        .join(' ');
      return `<polyline class="roc" data-series="${escapeHtml(s.label)}" points="${pts}" fill="none" stroke="${SERIES_COLORS[i % SERIES_COLORS.length]}" stroke-width="2"${s.label.startsWith('shadow') ? '' : i > 0 ? ' stroke-dasharray="5 3"' : ''}/>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<text x="${x(t)}" y="${size - 18}" class="axis" text-anchor="middle">${t}</text><text x="${pad - 4}" y="${(Number(y(t)) + 3).toFixed(1)}" class="axis" text-anchor="end">${t}</text>`,
    )
    .join('');
  return (
    `<svg class="roc-chart" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="ROC curves">` +
    `<rect x="${pad}" y="8" width="${plot}" height="${plot}" fill="#fafafa" stroke="#999"/>` +
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#bbb" stroke-dasharray="3 3"/>` +
    `${lines}${ticks}<text x="${pad + plot / 2}" y="${size - 4}" class="axis" text-anchor="middle">false positive rate</text>` +
    `<text x="10" y="${8 + plot / 2}" class="axis" text-anchor="middle" transform="rotate(-90 10 ${8 + plot / 2})">true positive rate</text></svg>`
  );
}

function modelsSection(data: ReportData): string {
  const rows = data.models
    .map(
      (m) =>
        `<tr><td><code>${escapeHtml(m.version)}</code></td><td>${m.aliases.map((a) => `<span class="tag">${escapeHtml(a)}</span>`).join(' ') || '–'}</td>` +
        `<td>${fmtTime(m.createdAt)}</td><td class="num">${fmtInt(m.rows)}</td><td class="num">${fmt(m.rocAuc)}</td><td class="num">${fmt(m.prAuc)}</td>` +
        `<td class="num">${fmt(m.precision)}</td><td class="num">${fmt(m.recall)}</td></tr>`,
    )
    .join('\n');
  const legend = data.roc
    .map(
      (s, i) =>
        `<li><span class="swatch" style="background:${SERIES_COLORS[i % SERIES_COLORS.length]}"></span>${escapeHtml(s.label)} ` +
        `<span class="muted">(${s.versions.map(escapeHtml).join(', ')}; ${fmtInt(s.positives)} fraud / ${fmtInt(s.negatives)} legit)</span> — AUC <b>${fmt(aucFromPoints(s.points))}</b></li>`,
    )
    .join('\n');
  return `<section><h2>Champion vs challenger</h2>
<p class="muted">Offline metrics on each version's holdout at registration (precision and recall at the decision threshold).</p>
${data.models.length === 0 ? '<p class="muted">no model versions</p>' : `<table><thead><tr><th>version</th><th>aliases now</th><th>registered</th><th>holdout rows</th><th>ROC-AUC</th><th>PR-AUC</th><th>precision</th><th>recall</th></tr></thead><tbody>\n${rows}\n</tbody></table>`}
<h3>ROC on live labelled payments</h3>
${data.roc.length === 0 ? '<p class="muted">not enough labelled payments with both classes for a ROC curve</p>' : `<div class="roc-wrap">${rocSvg(data.roc)}<ul class="legend">\n${legend}\n</ul></div>`}
</section>`;
}

function timelineSection(events: readonly TimelineEvent[]): string {
  const rows = events
    .map((e) => `<tr class="k-${escapeHtml(e.kind)}"><td>${fmtTime(e.at)}</td><td><span class="tag">${escapeHtml(e.kind)}</span></td><td>${escapeHtml(e.title)}</td><td>${escapeHtml(e.detail)}</td></tr>`)
    .join('\n');
  return `<section><h2>Timeline</h2>
${events.length === 0 ? '<p class="muted">no triggers, cycles, approvals or alias moves in this run</p>' : `<table class="timeline"><thead><tr><th>at</th><th>kind</th><th>event</th><th>detail</th></tr></thead><tbody>\n${rows}\n</tbody></table>`}
</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:1180px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:middle}
th{background:#f5f5f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#777}.bad{color:#c0392b;font-weight:600}.ok{color:#2e7d32}
.tag{display:inline-block;background:#eef;border-radius:3px;padding:0 5px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin:0 4px 0 8px;vertical-align:middle}
.axis{font-size:10px;fill:#666}.roc-wrap{display:flex;gap:24px;align-items:flex-start}.legend{list-style:none;padding:0}.legend li{margin:4px 0}
.summary td:first-child{width:40%}.k-promotion td,.k-rollback td{font-weight:600}.k-rollback .tag{background:#fdd}.k-promotion .tag{background:#dfd}
`;

/** The learning loop's story as one row of the terminal summary (`npm start`). */
export function learningSummaryRow(l: LearningSummary): Record<string, string | number> {
  return {
    driftChecks: l.driftChecks,
    datasetDrifts: l.datasetDrifts,
    cycles: l.cycles,
    retrains: l.retrains,
    shadowEvaluations: l.shadowEvaluations,
    approvals: l.approvals,
    promotions: l.promotions,
    rollbacks: l.rollbacks,
  };
}

function learningRow(data: ReportData): string {
  const l = data.learning;
  if (!l) return '';
  return `<tr><td>learning cycles: retrains / shadow evaluations / approvals</td><td class="num">${l.cycles}: ${l.retrains} / ${l.shadowEvaluations} / ${l.approvals}</td></tr>\n`;
}

export function renderReport(data: ReportData): string {
  const s = data.summary;
  const pct = (n: number) => (s.decided === 0 ? '' : ` <span class="muted">(${fmt((n / s.decided) * 100, 1)}%)</span>`);
  const summary = `<section><h2>Summary</h2><table class="summary"><tbody>
<tr><td>payments decided</td><td class="num">${fmtInt(s.decided)}</td></tr>
<tr><td>flagged</td><td class="num">${fmtInt(s.flagged)}${pct(s.flagged)}</td></tr>
<tr><td>approved</td><td class="num">${fmtInt(s.approved)}${pct(s.approved)}</td></tr>
<tr><td>rule fallbacks (no model score)</td><td class="num">${fmtInt(s.fallbacks)}${pct(s.fallbacks)}</td></tr>
<tr><td>labels received (fraud)</td><td class="num">${fmtInt(s.labels)} (${fmtInt(s.fraudLabels)})</td></tr>
<tr><td>drift checks (with dataset drift)</td><td class="num">${data.driftReports.length} (${data.driftReports.filter((r) => r.datasetDrift).length})</td></tr>
${learningRow(data)}<tr><td>promotions / rollbacks</td><td class="num">${data.timeline.filter((e) => e.kind === 'promotion').length} / ${data.timeline.filter((e) => e.kind === 'rollback').length}</td></tr>
</tbody></table></section>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mainspring report — ${escapeHtml(data.modelName)}</title><style>${CSS}</style></head>
<body>
<h1>mainspring run report — <code>${escapeHtml(data.modelName)}</code></h1>
<p class="muted">From ${fmtTime(data.since)} to ${fmtTime(data.generatedAt)}. Everything here stays inspectable in the Temporal UI while the stack is up.</p>
${summary}
${driftSection(data)}
${modelsSection(data)}
${timelineSection(data.timeline)}
</body></html>
`;
}

/** Writes the report (creating the directory) and returns its absolute path, for the CLI to print. */
export async function writeReport(data: ReportData, file: string): Promise<string> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderReport(data), 'utf8');
  return path;
}
