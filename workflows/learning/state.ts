// The loop's carried state: creation, label intake and the small reducers the workflow applies. Pure.

import { dedupeIds } from './bounded';
import type { LearningLoopConfig } from './config';
import type { DriftFinding, LabelInput, LearningLoopState, ManualRequest } from './types';

/** Event ids remembered for re-delivery detection (the label table's upsert catches older duplicates). */
export const MAX_SEEN_EVENT_IDS = 2000;
export const MAX_TRIGGERS_KEPT = 50;
export const MAX_CYCLES_KEPT = 20;
export const MAX_REFUSED_KEPT = 20;

export function initialState(modelName: string, config: LearningLoopConfig, nowIso: string): LearningLoopState {
  return {
    modelName,
    config,
    startedAt: nowIso,
    runs: 1,
    cycleSeq: 0,
    labels: { total: 0, atLastTraining: 0, updated: 0, duplicates: 0 },
    pendingLabels: [],
    seenEventIds: [],
    pendingManual: null,
    pendingDrift: null,
    champion: null,
    lastTrainingAt: null,
    cooldownUntil: null,
    lastDriftCheckAt: null,
    lastDrift: null,
    lastTrigger: null,
    notedBlocked: [],
    triggers: [],
    history: [],
    refused: [],
  };
}

/** The slice of a bridged payments.labeled event the loop reads (structural, so tests can build it easily). */
export interface LabelEventLike {
  envelope: { id: string; data: { paymentId: string; label: 'fraud' | 'legit'; source: string; labeledAt: string; modelName?: string } };
}

/**
 * Queues the labels of a batch that are new: re-deliveries (an event id seen recently, or twice in the batch) and
 * labels addressed to another model are dropped. Returns how many were queued and dropped.
 */
export function acceptLabelEvents(state: LearningLoopState, events: readonly LabelEventLike[]): { queued: number; duplicates: number; foreign: number } {
  const mine = events.filter((e) => e?.envelope?.data && (e.envelope.data.modelName === undefined || e.envelope.data.modelName === state.modelName));
  const foreign = events.length - mine.length;
  const { fresh, duplicates, seen } = dedupeIds(
    state.seenEventIds,
    mine.map((e) => e.envelope.id),
    MAX_SEEN_EVENT_IDS,
  );
  state.seenEventIds = seen;
  state.labels.duplicates += duplicates;
  const queued: LabelInput[] = [];
  for (const e of mine) {
    if (!fresh.delete(e.envelope.id)) continue;
    const d = e.envelope.data;
    queued.push({ eventId: e.envelope.id, paymentId: d.paymentId, label: d.label, source: d.source, labeledAt: d.labeledAt });
  }
  state.pendingLabels.push(...queued);
  return { queued: queued.length, duplicates, foreign };
}

/** Remembers the event ids of a batch (drift / retrain events) and returns those not seen before. */
export function freshEventIds(state: LearningLoopState, ids: readonly string[]): Set<string> {
  const { fresh, seen } = dedupeIds(state.seenEventIds, ids, MAX_SEEN_EVENT_IDS);
  state.seenEventIds = seen;
  return fresh;
}

/** A manual request joins a pending one (first requester kept, reasons joined, force if either forces). */
export function mergeManual(pending: ManualRequest | null, request: ManualRequest): { merged: boolean; next: ManualRequest } {
  if (!pending) return { merged: false, next: request };
  const reason = pending.reason === request.reason ? pending.reason : `${pending.reason}; ${request.requestedBy}: ${request.reason}`;
  return { merged: true, next: { ...pending, reason: reason.slice(0, 500), force: pending.force || request.force } };
}

/** The newer of two drift findings wins (the loop acts on the latest picture). */
export function mergeDrift(pending: DriftFinding | null, finding: DriftFinding): { merged: boolean; next: DriftFinding } {
  return { merged: pending !== null, next: finding };
}

export function labelsSinceTraining(state: LearningLoopState): number {
  return state.labels.total - state.labels.atLastTraining;
}
