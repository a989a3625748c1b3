import { appendBounded, dedupeIds, prependBounded } from '../../../workflows/learning/bounded';
import { resolveLearningConfig } from '../../../workflows/learning/config';
import { acceptLabelEvents, initialState, labelsSinceTraining, MAX_SEEN_EVENT_IDS, mergeManual, type LabelEventLike } from '../../../workflows/learning/state';

const label = (id: string, paymentId: string, modelName?: string): LabelEventLike => ({
  envelope: { id, data: { paymentId, label: 'fraud', source: 'chargeback', labeledAt: '2025-02-01T00:00:00.000Z', ...(modelName ? { modelName } : {}) } },
});

describe('bounded state', () => {
  it('keeps the newest entries', () => {
    expect(appendBounded([1, 2, 3], [4, 5], 3)).toEqual([3, 4, 5]);
    expect(prependBounded([2, 3, 4], 1, 3)).toEqual([1, 2, 3]);
  });

  it('dedupeIds: seen and repeated ids are duplicates; the window slides', () => {
    const r = dedupeIds(['a', 'b'], ['b', 'c', 'c', 'd'], 3);
    expect([...r.fresh]).toEqual(['c', 'd']);
    expect(r.duplicates).toBe(2);
    expect(r.seen).toEqual(['b', 'c', 'd']);
  });
});

describe('label intake', () => {
  it('queues new labels once; drops re-deliveries and labels of other models', () => {
    const state = initialState('fraud', resolveLearningConfig(undefined).config, '2025-03-01T00:00:00.000Z');
    expect(acceptLabelEvents(state, [label('e1', 'p1'), label('e2', 'p2', 'fraud'), label('e1', 'p1'), label('e3', 'p3', 'other')])).toEqual({ queued: 2, duplicates: 1, foreign: 1 });
    expect(acceptLabelEvents(state, [label('e2', 'p2')])).toEqual({ queued: 0, duplicates: 1, foreign: 0 });
    expect(state.pendingLabels).toEqual([
      { eventId: 'e1', paymentId: 'p1', label: 'fraud', source: 'chargeback', labeledAt: '2025-02-01T00:00:00.000Z' },
      { eventId: 'e2', paymentId: 'p2', label: 'fraud', source: 'chargeback', labeledAt: '2025-02-01T00:00:00.000Z' },
    ]);
    expect(state.labels.duplicates).toBe(2);
  });

  it('remembers a bounded number of event ids', () => {
    const state = initialState('fraud', resolveLearningConfig(undefined).config, '');
    acceptLabelEvents(state, Array.from({ length: MAX_SEEN_EVENT_IDS + 10 }, (_, i) => label(`e${i}`, `p${i}`)));
    expect(state.seenEventIds).toHaveLength(MAX_SEEN_EVENT_IDS);
    expect(state.seenEventIds[0]).toBe('e10');
  });

  it('labels since training = total − total at the last training', () => {
    const state = initialState('fraud', resolveLearningConfig(undefined).config, '');
    state.labels.total = 120;
    state.labels.atLastTraining = 100;
    expect(labelsSinceTraining(state)).toBe(20);
  });
});

describe('manual requests', () => {
  it('join a pending one: first requester kept, reasons joined, force if either forces', () => {
    const first = { requestedBy: 'ops', reason: 'segment', force: false, at: 't1' };
    expect(mergeManual(null, first)).toEqual({ merged: false, next: first });
    expect(mergeManual(first, { requestedBy: 'alice', reason: 'urgent', force: true, at: 't2' })).toEqual({
      merged: true,
      next: { requestedBy: 'ops', reason: 'segment; alice: urgent', force: true, at: 't1' },
    });
  });
});
