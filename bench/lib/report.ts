// The benchmark's result model and its markdown rendering. Pure: the harness fills a BenchResult, this file turns
// it into the table that is printed and written beside the JSON.
import { renderProfiles, type ProfileSummary } from './cpu-profile';

export type Unit = 'ev/s' | 'sagas/s' | 'ms' | 'µs' | 's' | 'MB' | 'KiB' | 'AUC' | 'count' | 'share' | 'cpu-s' | '%';

export interface Figure {
  /** null: not measured (unavailable or failed); `note` says why. */
  value: number | null;
  unit: Unit;
  note?: string;
}

export type Verdict = 'pass' | 'miss' | 'n/a';

export interface ComparisonRow {
  section: string;
  metric: string;
  mainspring: Figure;
  /** What a user would pick instead, measured in the same run. */
  other?: Figure & { name: string };
  /** mainspring ÷ other (or the stated quotient), with what it means; `plain` for a difference or a share. */
  ratio?: { value: number | null; label: string; plain?: boolean };
  target?: { text: string; verdict: Verdict };
}

export interface MachineInfo {
  hostname: string;
  platform: string;
  kernel: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage1m: number;
  node: string;
  python?: string;
}

export type SectionStatus = { status: 'ok' } | { status: 'unavailable' | 'failed' | 'skipped'; reason: string };

export interface BenchResult {
  tool: 'mainspring-bench';
  formatVersion: 1;
  mode: 'full' | 'quick';
  status: 'ok' | 'partial' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  machine: MachineInfo;
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
  sections: Record<string, SectionStatus>;
  rows: ComparisonRow[];
  details: Record<string, unknown>;
  problems: string[];
}

/** pass when `value` ≤ `limit` (null value → n/a). */
export function atMost(value: number | null | undefined, limit: number): Verdict {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value <= limit ? 'pass' : 'miss';
}

/** pass when `value` ≥ `limit` (null value → n/a). */
export function atLeast(value: number | null | undefined, limit: number): Verdict {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value >= limit ? 'pass' : 'miss';
}

/** Every verdict must pass; any n/a makes the whole n/a unless something already missed. */
export function allOf(...verdicts: Verdict[]): Verdict {
  if (verdicts.includes('miss')) return 'miss';
  if (verdicts.includes('n/a')) return 'n/a';
  return 'pass';
}

/** A number with sensible precision: 3 significant digits, no exponent for everyday magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.01) return v.toFixed(3);
  return v.toPrecision(2);
}

export function formatFigure(f: Figure | undefined): string {
  if (!f) return '—';
  if (f.value === null) return `unavailable${f.note ? ` (${f.note})` : ''}`;
  const unit = f.unit === 'count' ? '' : f.unit === 'share' ? '' : f.unit === 'AUC' ? '' : ` ${f.unit}`;
  const value =
    f.unit === 'share' ? `${formatNumber(f.value * 100)} %` : f.unit === 'AUC' ? f.value.toFixed(4) : f.unit === 'count' && Number.isInteger(f.value) ? String(f.value) : formatNumber(f.value);
  return `${value}${unit}${f.note ? ` (${f.note})` : ''}`;
}

export function formatRatio(r: ComparisonRow['ratio']): string {
  if (!r) return '';
  if (r.value === null) return `— ${r.label}`;
  return r.plain ? `${formatNumber(r.value)} ${r.label}` : `${formatNumber(r.value)}× ${r.label}`;
}

const VERDICT_MARK: Record<Verdict, string> = { pass: 'pass', miss: '**miss**', 'n/a': 'n/a' };

export function formatTarget(t: ComparisonRow['target']): string {
  if (!t) return '';
  return `${t.text}: ${VERDICT_MARK[t.verdict]}`;
}

/** Markdown cells must not break the table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderRows(rows: readonly ComparisonRow[]): string {
  const header = '| section | measure | mainspring | side by side | ratio | target |\n|---|---|---|---|---|---|';
  const lines = rows.map((r) => {
    const other = r.other ? `${r.other.name}: ${formatFigure(r.other)}` : '';
    return `| ${[r.section, r.metric, formatFigure(r.mainspring), other, formatRatio(r.ratio), formatTarget(r.target)].map(cell).join(' | ')} |`;
  });
  return [header, ...lines].join('\n');
}

function targetSummary(rows: readonly ComparisonRow[]): string {
  const verdicts = rows.filter((r) => r.target).map((r) => r.target!.verdict);
  const count = (v: Verdict) => verdicts.filter((x) => x === v).length;
  return `${count('pass')} targets met, ${count('miss')} missed, ${count('n/a')} not measured`;
}

/** The whole markdown report: headline, machine, configuration, the comparison table, problems. */
export function renderMarkdown(result: BenchResult): string {
  const m = result.machine;
  const out: string[] = [];
  out.push(`# mainspring bench — ${result.mode} run, ${result.startedAt}`);
  out.push('');
  out.push(
    `Status **${result.status}**, wall time ${formatNumber(result.wallSeconds)} s. ${targetSummary(result.rows)}. ` +
      'Every pair is measured in the same run on the same machine; ratios are what to compare across machines.',
  );
  out.push('');
  out.push(
    `Machine: ${m.cpus} × ${m.cpuModel}, ${formatNumber(m.memoryGiB)} GiB, ${m.platform} ${m.kernel}, Node ${m.node}` +
      `${m.python ? `, Python ${m.python}` : ''}, load ${formatNumber(m.loadAverage1m)} (1 min) at start.`,
  );
  out.push('');
  out.push(renderRows(result.rows));
  out.push('');
  const sections = Object.entries(result.sections).filter(([, s]) => s.status !== 'ok');
  if (sections.length > 0 || result.problems.length > 0) {
    out.push('## Problems');
    out.push('');
    for (const [name, s] of sections) if (s.status !== 'ok') out.push(`- ${name}: ${s.status} — ${s.reason}`);
    for (const p of result.problems) out.push(`- ${p}`);
    out.push('');
  }
  const profiles = result.details.cpuProfiles as ProfileSummary[] | undefined;
  if (profiles && profiles.length > 0) {
    out.push(renderProfiles(profiles));
    out.push('');
  }
  out.push('## Configuration');
  out.push('');
  out.push('```json');
  out.push(JSON.stringify({ config: result.config, environment: result.environment }, null, 2));
  out.push('```');
  out.push('');
  return out.join('\n');
}

/** `2025-01-02T03:04:05.678Z` → `2025-01-02T03-04-05Z`: sortable and safe in file names. */
export function resultFileStem(isoTime: string): string {
  return isoTime.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}
