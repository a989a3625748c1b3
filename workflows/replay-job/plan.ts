// Pure bookkeeping of a replay job: which partition's chunk runs next, how a finished chunk advances the checkpoint,
// how far the job is. No I/O, no clock: the workflow calls these on recorded activity results.
import type { PartitionCursor, PlanReplayResult, RebuildCounters, ReplayChunkResult, ReplayCounters, ReplayJobState } from '../../schemas/replay';

export const DEFAULT_CHUNK_SIZE = 500;
export const DEFAULT_CHUNKS_PER_RUN = 50;
/** Differing payment ids carried in the state (the report lists them; the count is exact). */
const MAX_DIFFERING_KEPT = 100;

export const zeroCounters = (): ReplayCounters => ({ read: 0, replayed: 0, bad: 0, skipped: 0 });
export const zeroRebuild = (): RebuildCounters => ({ inserted: 0, replaced: 0, identical: 0, differs: 0 });

export function initialReplayState(plan: PlanReplayResult, startedAt: string): ReplayJobState {
  return {
    partitions: plan.partitions.map((p) => ({ ...p, next: p.start })),
    totals: zeroCounters(),
    rebuild: zeroRebuild(),
    chunks: 0,
    runs: 1,
    startedAt,
    resolved: { ...(plan.fromTime ? { fromTime: plan.fromTime } : {}), ...(plan.toTime ? { toTime: plan.toTime } : {}) },
  };
}

/** The partition with the most left to do (keeps partitions roughly level, so progress reads as one front). */
export function nextCursor(partitions: readonly PartitionCursor[]): PartitionCursor | null {
  let best: PartitionCursor | null = null;
  let bestLeft = 0;
  for (const p of partitions) {
    const left = Number(p.end) - Number(p.next);
    if (left > bestLeft) {
      best = p;
      bestLeft = left;
    }
  }
  return best;
}

/**
 * Applies a finished chunk: the checkpoint moves to `result.next` and the counters grow by the chunk's. A chunk result
 * that does not move forward from the checkpoint is refused (a stale or duplicated result must not count twice).
 */
export function applyChunk(state: ReplayJobState, partition: number, from: string, result: ReplayChunkResult): boolean {
  const cursor = state.partitions.find((p) => p.partition === partition);
  if (!cursor || cursor.next !== from) return false;
  const next = Number(result.next);
  if (!(next > Number(from)) || next > Number(cursor.end)) return false;
  cursor.next = result.next;
  for (const k of Object.keys(state.totals) as Array<keyof ReplayCounters>) state.totals[k] += result.counts[k];
  if (result.rebuild) for (const k of Object.keys(state.rebuild) as Array<keyof RebuildCounters>) state.rebuild[k] += result.rebuild[k];
  if (result.differing && result.differing.length > 0) state.differing = [...(state.differing ?? []), ...result.differing].slice(0, MAX_DIFFERING_KEPT);
  state.chunks += 1;
  return true;
}

export function totalOffsets(partitions: readonly PartitionCursor[]): number {
  return partitions.reduce((n, p) => n + Math.max(0, Number(p.end) - Number(p.start)), 0);
}

export function doneOffsets(partitions: readonly PartitionCursor[]): number {
  return partitions.reduce((n, p) => n + Math.max(0, Number(p.next) - Number(p.start)), 0);
}
