// In-memory replay activities for the workflow tests: a fake log (offset → payment or bad record) and upserted rows
// keyed like the real tables, so double counting would show. The real activities run in test/integration/replay.test.ts.
import type { ReplayActivities } from '../../activities/replay.activities';
import type { ReplayChunkInput, ReplayChunkResult, ScoreReport } from '../../schemas/replay';

export class FakeReplayLog {
  /** partition → [start, end) and which offsets are bad. */
  constructor(
    readonly partitions: Array<{ partition: number; start: number; end: number; bad?: number[] }>,
    /** What the report's paired quality says (the gate tests steer it). */
    readonly quality: { rows: number; replayedAuc: number; championAuc: number } = { rows: 0, replayedAuc: 0, championAuc: 0 },
  ) {}

  chunkCalls: Array<{ partition: number; from: string; attempt: number }> = [];
  /** Upserted "replay_decision" / "replay_bad_event" rows: key = replayId:partition:offset. */
  decisions = new Map<string, number>();
  badRows = new Map<string, string>();
  plans: Array<{ topic: string; from?: unknown; to?: unknown }> = [];
  /** Chunks (partition:from) that fail once after writing their rows, like a worker dying mid-chunk. */
  failOnce = new Set<string>();
  private failed = new Set<string>();

  activities(): ReplayActivities {
    const acts: Pick<ReplayActivities, 'planReplay' | 'replayChunk' | 'buildReplayReport'> = {
      planReplay: async (input) => {
        this.plans.push({ topic: input.topic, from: input.from, to: input.to });
        return { partitions: this.partitions.map((p) => ({ partition: p.partition, start: String(p.start), end: String(p.end) })) };
      },
      replayChunk: async (input: ReplayChunkInput): Promise<ReplayChunkResult> => {
        const p = this.partitions.find((x) => x.partition === input.partition);
        if (!p) throw new Error(`no partition ${input.partition}`);
        const from = Number(input.from);
        const next = Math.min(Number(input.end), from + input.maxEvents);
        const key = `${input.partition}:${input.from}`;
        this.chunkCalls.push({ partition: input.partition, from: input.from, attempt: this.chunkCalls.filter((c) => `${c.partition}:${c.from}` === key).length + 1 });
        let replayed = 0;
        let bad = 0;
        for (let o = from; o < next; o++) {
          const rowKey = `${input.params.replayId}:${input.partition}:${o}`;
          if (p.bad?.includes(o)) {
            this.badRows.set(rowKey, 'CONTRACT_VIOLATION');
            bad++;
          } else {
            this.decisions.set(rowKey, o);
            replayed++;
          }
        }
        if (this.failOnce.has(key) && !this.failed.has(key)) {
          this.failed.add(key);
          throw new Error(`worker died in chunk ${key}`);
        }
        return { next: String(next), counts: { read: next - from, replayed, bad, skipped: 0 } };
      },
      buildReplayReport: async (input) => {
        const prefix = `${input.params.replayId}:`;
        const rows = [...this.decisions.keys()].filter((k) => k.startsWith(prefix)).length;
        const bad = [...this.badRows.keys()].filter((k) => k.startsWith(prefix)).length;
        const q = this.quality;
        const report: ScoreReport = {
          kind: 'score',
          replayId: input.params.replayId,
          topic: input.params.topic,
          modelName: input.params.modelName ?? 'fraud',
          modelVersion: input.params.modelVersion ?? '',
          threshold: 0.85,
          range: { partitions: input.state.partitions.map(({ partition, start, end }) => ({ partition, start, end })) },
          events: { read: input.state.totals.read, replayed: rows, bad, skipped: 0 },
          badEvents: [],
          championVersions: [],
          featureMismatches: 0,
          quality: {
            rows: q.rows,
            replayed: { rows: q.rows, positives: 10, rocAuc: q.replayedAuc, precision: null, recall: null, flagged: 0 },
            champion: { rows: q.rows, positives: 10, rocAuc: q.championAuc, precision: null, recall: null, flagged: 0 },
            delta: { rocAuc: q.replayedAuc - q.championAuc, precision: null, recall: null },
          },
          replayedAllLabeled: { rows: 0, positives: 0, rocAuc: null, precision: null, recall: null, flagged: 0 },
          changes: { compared: 0, unchanged: 0, flagToApprove: 0, approveToFlag: 0, byReason: [], labeled: { flagToApproveLegit: 0, flagToApproveFraud: 0, approveToFlagFraud: 0, approveToFlagLegit: 0 } },
          durationMs: 1,
          eventsPerSecond: 1,
        };
        return report;
      },
    };
    return acts as ReplayActivities;
  }
}
