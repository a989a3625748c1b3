// Checks of a replay job's parameters, before it reads anything. Pure; the CLI runs the same checks first.
import type { ReplayBound, ReplayJobParams } from '../../schemas/replay';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

function boundProblem(name: string, b: ReplayBound | undefined): string | null {
  if (b === undefined) return null;
  if ('offset' in b) return /^\d{1,18}$/.test(b.offset) ? null : `${name} offset must be a whole number, got ${JSON.stringify(b.offset)}`;
  if ('time' in b) return Number.isNaN(Date.parse(b.time)) ? `${name} must be an offset or an ISO-8601 time, got ${JSON.stringify(b.time)}` : null;
  return `${name} must be an offset or a time`;
}

/** Problems with the parameters (empty = fine). */
export function checkReplayParams(p: ReplayJobParams): string[] {
  const problems: string[] = [];
  if (!p || typeof p !== 'object') return ['params must be an object'];
  if (typeof p.replayId !== 'string' || !ID.test(p.replayId)) problems.push(`replayId must be 1-200 chars of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(p.replayId)}`);
  if (typeof p.topic !== 'string' || p.topic.length === 0) problems.push('topic is required');
  if (p.kind !== 'score' && p.kind !== 'rebuild-features') problems.push(`kind must be "score" or "rebuild-features", got ${JSON.stringify(p.kind)}`);
  if (p.kind === 'score' && (typeof p.modelVersion !== 'string' || p.modelVersion.length === 0)) problems.push('a score replay needs a model version');
  if (p.kind === 'rebuild-features' && (typeof p.featureSpecVersion !== 'string' || p.featureSpecVersion.length === 0)) problems.push('a feature rebuild needs a feature spec version');
  for (const [name, b] of [['from', p.from], ['to', p.to]] as const) {
    const problem = boundProblem(name, b);
    if (problem) problems.push(problem);
  }
  if (p.from && p.to && 'time' in p.from && 'time' in p.to && Date.parse(p.to.time) < Date.parse(p.from.time)) problems.push('to is before from');
  if (p.from && p.to && 'offset' in p.from && 'offset' in p.to && Number(p.to.offset) < Number(p.from.offset)) problems.push('to is before from');
  if (p.partition !== undefined && (!Number.isInteger(p.partition) || p.partition < 0)) problems.push(`partition must be a whole number ≥ 0, got ${p.partition}`);
  if (p.threshold !== undefined && !(typeof p.threshold === 'number' && p.threshold >= 0 && p.threshold <= 1)) problems.push(`threshold must be in [0, 1], got ${p.threshold}`);
  if (p.chunkSize !== undefined && (!Number.isInteger(p.chunkSize) || p.chunkSize < 1 || p.chunkSize > 100_000)) problems.push(`chunkSize must be 1..100000, got ${p.chunkSize}`);
  if (p.chunksPerRun !== undefined && (!Number.isInteger(p.chunksPerRun) || p.chunksPerRun < 1 || p.chunksPerRun > 10_000)) problems.push(`chunksPerRun must be 1..10000, got ${p.chunksPerRun}`);
  if (p.heartbeatTimeoutMs !== undefined && (!Number.isInteger(p.heartbeatTimeoutMs) || p.heartbeatTimeoutMs < 1000)) problems.push(`heartbeatTimeoutMs must be a whole number ≥ 1000, got ${p.heartbeatTimeoutMs}`);
  return problems;
}

/** One line for the Temporal UI's summary of the job. */
export function replaySummary(p: ReplayJobParams): string {
  const bound = (b: ReplayBound | undefined, open: string) => (b === undefined ? open : 'offset' in b ? `offset ${b.offset}` : b.time);
  const what = p.kind === 'score' ? `replay ${p.modelName ?? 'fraud'}@${p.modelVersion}` : `rebuild features ${p.featureSpecVersion}`;
  const partition = p.partition === undefined ? '' : ` [partition ${p.partition}]`;
  return `${what} over ${p.topic}${partition} from ${bound(p.from, 'the start')} to ${bound(p.to, 'the end')}`;
}
