// Point-in-time inputs of a replayed payment: arrival-order velocity, the risk score walked back through later
// raises and undos, a profile that a later raise created.
import { LogVelocity, profileAsOf, riskScoreAsOf, sameVector, type RiskChange } from '../../../src/replay/point-in-time';
import { parseBound, replayIdFor } from '../../../src/replay/ids';
import { applyChunk, initialReplayState, nextCursor } from '../../../workflows/replay-job/plan';
import { checkReplayParams } from '../../../workflows/replay-job/params';

const T = Date.parse('2026-03-01T12:00:00Z');

describe('replay point in time', () => {
  it('velocity counts earlier arrivals of the user in [t-60s, t), each payment once', () => {
    const v = new LogVelocity();
    expect(v.observe('u', 'p1', T)).toBe(0);
    expect(v.observe('u', 'p2', T + 10_000)).toBe(1);
    expect(v.observe('other', 'q1', T + 11_000)).toBe(0);
    expect(v.observe('u', 'p1', T + 20_000)).toBe(1); // a re-sent p1: p2 counts, p1 itself does not
    expect(v.observe('u', 'p3', T + 60_000)).toBe(2); // p1 at exactly t-60s is in, p2 too; the re-sent p1 once
    // a late arrival with an earlier event time counts earlier payments only, and counts for later ones
    expect(v.observe('u', 'late', T - 30_000)).toBe(0);
    expect(v.observe('u', 'p4', T + 20_000)).toBe(3); // p1 (T), p2 (T+10s), late (T-30s); p3 is after t
  });

  it('the risk score as of a time undoes later raises and restores', () => {
    const changes: RiskChange[] = [
      { atMs: T + 1000, kind: 'raise', previousScore: 0.1, newScore: 0.3 },
      { atMs: T + 5000, kind: 'raise', previousScore: 0.3, newScore: 0.5 },
      { atMs: T + 9000, kind: 'restore', previousScore: 0.3, newScore: 0.5 },
    ];
    expect(riskScoreAsOf(0.3, changes, T)).toBe(0.1);
    expect(riskScoreAsOf(0.3, changes, T + 2000)).toBe(0.3);
    expect(riskScoreAsOf(0.3, changes, T + 6000)).toBe(0.5);
    expect(riskScoreAsOf(0.3, changes, T + 10_000)).toBe(0.3);
  });

  it('a bare profile created by a later raise did not exist before it', () => {
    const bare = { riskScore: 0.3, homeCountry: null, accountCreatedAt: null, knownDevices: [] };
    const raise: RiskChange[] = [{ atMs: T + 1000, kind: 'raise', previousScore: 0.1, newScore: 0.3 }];
    expect(profileAsOf(bare, raise, T)).toBeUndefined();
    expect(profileAsOf(bare, raise, T + 2000)).toEqual(bare);
    const seeded = { ...bare, homeCountry: 'DE' };
    expect(profileAsOf(seeded, raise, T)).toEqual({ ...seeded, riskScore: 0.1 });
    expect(sameVector([1, 2], [1, 2])).toBe(true);
    expect(sameVector([1, 2], [1, 2.0000001])).toBe(false);
    expect(sameVector(null, [1])).toBe(false);
  });

  it('ids are derived from what is replayed; bounds are offsets or ISO times', () => {
    const p = { kind: 'score' as const, topic: 't', from: parseBound('10', '--from'), to: parseBound('2026-03-01T12:00:00+01:00', '--to'), modelName: 'fraud', modelVersion: 'fraud-v3' };
    expect(p.from).toEqual({ offset: '10' });
    expect(p.to).toEqual({ time: '2026-03-01T11:00:00.000Z' });
    expect(replayIdFor(p)).toMatch(/^replay-fraud-v3-[0-9a-f]{12}$/);
    expect(replayIdFor(p)).toBe(replayIdFor({ ...p }));
    expect(replayIdFor(p)).not.toBe(replayIdFor({ ...p, modelVersion: 'fraud-v4' }));
    expect(() => parseBound('yesterday', '--from')).toThrow('--from must be an offset');
    expect(checkReplayParams({ ...p, replayId: 'r1' })).toEqual([]);
    expect(checkReplayParams({ replayId: 'r1', kind: 'score', topic: 't', from: { offset: '9' }, to: { offset: '5' } })).toEqual(['a score replay needs a model version', 'to is before from']);
  });

  it('a chunk moves its partition checkpoint once; a stale result is refused', () => {
    const s = initialReplayState({ partitions: [{ partition: 0, start: '0', end: '10' }, { partition: 1, start: '5', end: '25' }] }, '2026-03-01T00:00:00Z');
    expect(nextCursor(s.partitions)?.partition).toBe(1);
    const r = { next: '15', counts: { read: 10, replayed: 9, bad: 1, skipped: 0 } };
    expect(applyChunk(s, 1, '5', r)).toBe(true);
    expect(applyChunk(s, 1, '5', r)).toBe(false);
    expect(s.totals).toEqual({ read: 10, replayed: 9, bad: 1, skipped: 0 });
    expect(s.partitions[1].next).toBe('15');
    expect(applyChunk(s, 0, '0', { next: '0', counts: r.counts })).toBe(false);
    expect(applyChunk(s, 0, '0', { next: '11', counts: r.counts })).toBe(false);
  });
});
