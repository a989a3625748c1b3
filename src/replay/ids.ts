// Replay ids and range bounds as the CLI takes them. The id is derived from the parameters, so the same command run
// twice names the same workflow (and attaches to it) instead of starting a second job.
import { createHash } from 'node:crypto';
import type { ReplayBound, ReplayJobParams } from '../../schemas/replay';

export class ReplayUsageError extends Error {
  readonly code = 'REPLAY_USAGE';
}

/** `123` → an offset; anything Date.parse accepts with a date part → a time (normalized to ISO-8601 UTC). */
export function parseBound(value: string, name: string): ReplayBound {
  const v = value.trim();
  if (/^\d{1,18}$/.test(v)) return { offset: v };
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms)) throw new ReplayUsageError(`${name} must be an offset (e.g. 1200) or an ISO-8601 time (e.g. 2026-11-23T10:00:00Z), got "${value}"`);
  return { time: new Date(ms).toISOString() };
}

type IdParams = Omit<ReplayJobParams, 'replayId' | 'chunkSize' | 'chunksPerRun' | 'requestedBy'>;

/** `replay-<what>-<12 hex of the parameters>`: chunking and who asked do not change what is replayed. */
export function replayIdFor(p: IdParams): string {
  const canonical = JSON.stringify([p.kind, p.topic, p.from ?? null, p.to ?? null, p.partition ?? null, p.modelName ?? null, p.modelVersion ?? null, p.threshold ?? null, p.featureSpecVersion ?? null]);
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 12);
  const what = p.kind === 'score' ? (p.modelVersion ?? 'model') : `features-${p.featureSpecVersion ?? 'spec'}`;
  return `replay-${what.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`;
}
