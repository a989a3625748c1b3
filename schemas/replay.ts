// Types of the replay job (workflows/replay-job/replay-job.workflow.ts), shared by the workflow, its activities
// (activities/replay.activities.ts), the CLI and the learning loop's backfill gate. Types only.

/** Where a replay range starts or ends: a Kafka offset (applied to every partition replayed) or an ISO-8601 time. */
export type ReplayBound = { offset: string } | { time: string };

export type ReplayKind = 'score' | 'rebuild-features';

export interface ReplayJobParams {
  /** Also the workflow id: `replay-…`, derived from the parameters (or given). */
  replayId: string;
  kind: ReplayKind;
  topic: string;
  /** Inclusive start. Omitted: the earliest retained offset. */
  from?: ReplayBound;
  /** Exclusive end. Omitted: the end of the log when the job is planned. */
  to?: ReplayBound;
  /** Only this partition; default all. */
  partition?: number;
  /** kind "score": the model and version to replay. */
  modelName?: string;
  modelVersion?: string;
  /** kind "score": decision threshold; default the saga's (0.85). */
  threshold?: number;
  /** kind "rebuild-features": the feature spec version to rebuild. */
  featureSpecVersion?: string;
  /** Events read per chunk activity (default 500). */
  chunkSize?: number;
  /** Chunks per workflow run before it continues as new (default 50). */
  chunksPerRun?: number;
  /** How soon a chunk whose worker died is run again (its heartbeat timeout); default 60 000 ms. */
  heartbeatTimeoutMs?: number;
  requestedBy?: string;
}

/** Per-partition plan and checkpoint: [start, end) was resolved once; `next` is the first offset not yet replayed. */
export interface PartitionCursor {
  partition: number;
  start: string;
  end: string;
  next: string;
}

export interface ReplayCounters {
  /** Offsets covered by finished chunks (events read). */
  read: number;
  /** Events replayed (scored, or features rebuilt). */
  replayed: number;
  bad: number;
  /** Records of other event types on the topic (skipped, not bad). */
  skipped: number;
}

export type ReplayPhase = 'planning' | 'replaying' | 'reporting' | 'done';

/** Carried across continue-as-new: the plan, the checkpoint and the counters. */
export interface ReplayJobState {
  partitions: PartitionCursor[];
  totals: ReplayCounters;
  /** Rebuild only: feature-log outcome counters. */
  rebuild: RebuildCounters;
  chunks: number;
  runs: number;
  startedAt: string;
  /** The resolved range, for the report. */
  resolved: { fromTime?: string; toTime?: string };
  /** Rebuild only: payments whose logged vector differs from the rebuilt one (the first ones). */
  differing?: string[];
}

export interface ReplayJobInput {
  params: ReplayJobParams;
  /** Set only by the job itself when it continues as new. */
  state?: ReplayJobState;
}

export interface ReplayProgress {
  replayId: string;
  kind: ReplayKind;
  phase: ReplayPhase;
  topic: string;
  modelVersion?: string;
  /** Offsets in the planned range, all partitions. */
  total: number;
  totals: ReplayCounters;
  partitions: PartitionCursor[];
  chunks: number;
  runs: number;
  startedAt: string;
  report?: ReplayReport;
}

// ---- activities ---------------------------------------------------------------------------------------------------

export interface PlanReplayInput {
  topic: string;
  from?: ReplayBound;
  to?: ReplayBound;
  partition?: number;
}

export interface PlanReplayResult {
  partitions: Array<{ partition: number; start: string; end: string }>;
  fromTime?: string;
  toTime?: string;
}

export interface ReplayChunkInput {
  params: ReplayJobParams;
  partition: number;
  /** First offset of the chunk. */
  from: string;
  /** Exclusive end of the partition's range. */
  end: string;
  maxEvents: number;
}

export interface RebuildCounters {
  /** No row for the payment: inserted. */
  inserted: number;
  /** A row of another spec version: replaced by the rebuilt one. */
  replaced: number;
  /** A row of this spec version, equal to the rebuilt vector (kept). */
  identical: number;
  /** A row of this spec version that differs from the rebuilt vector (serving's row is kept; listed). */
  differs: number;
}

export interface ReplayChunkResult {
  /** Where the next chunk of this partition starts (= end when the partition is done). */
  next: string;
  counts: ReplayCounters;
  rebuild?: RebuildCounters;
  differing?: string[];
}

export interface BuildReportInput {
  params: ReplayJobParams;
  state: ReplayJobState;
}

// ---- report -------------------------------------------------------------------------------------------------------

export interface QualitySummary {
  rows: number;
  positives: number;
  rocAuc: number | null;
  precision: number | null;
  recall: number | null;
  flagged: number;
}

export interface DecisionChanges {
  /** Replayed events that have a decision record of the time. */
  compared: number;
  unchanged: number;
  flagToApprove: number;
  approveToFlag: number;
  /** Changes by reason: the top feature of whichever model flagged, `fallback:<why>` when the rules decided then. */
  byReason: Array<{ reason: string; flagToApprove: number; approveToFlag: number }>;
  /** Of the changes with a label now: how many the replayed model got right. */
  labeled: { flagToApproveLegit: number; flagToApproveFraud: number; approveToFlagFraud: number; approveToFlagLegit: number };
}

export interface ScoreReport {
  kind: 'score';
  replayId: string;
  topic: string;
  modelName: string;
  modelVersion: string;
  threshold: number;
  range: { partitions: Array<{ partition: number; start: string; end: string }>; fromTime?: string; toTime?: string };
  events: { read: number; replayed: number; bad: number; skipped: number };
  /** Bad events: the first ones (offset + reason), all of them counted. */
  badEvents: Array<{ partition: number; offset: string; code: string; reason: string }>;
  /** Versions that decided at the time, with how many of the replayed events each decided. */
  championVersions: Array<{ version: string; decisions: number; fallbacks: number }>;
  /** Replayed events whose recomputed vector differs from the one serving logged. */
  featureMismatches: number;
  /** Same rows for both (replayed ∩ decided then ∩ labelled now). */
  quality: { rows: number; replayed: QualitySummary; champion: QualitySummary; delta: { rocAuc: number | null; precision: number | null; recall: number | null } };
  /** The replayed model on every replayed event with a label (decided then or not). */
  replayedAllLabeled: QualitySummary;
  changes: DecisionChanges;
  durationMs: number;
  eventsPerSecond: number;
}

export interface RebuildReport {
  kind: 'rebuild-features';
  replayId: string;
  topic: string;
  featureSpecVersion: string;
  range: { partitions: Array<{ partition: number; start: string; end: string }>; fromTime?: string; toTime?: string };
  events: { read: number; replayed: number; bad: number; skipped: number };
  badEvents: Array<{ partition: number; offset: string; code: string; reason: string }>;
  featureLog: RebuildCounters;
  /** Payments whose logged vector (same spec) differs from the rebuilt one: the first ones. */
  differing: string[];
  durationMs: number;
  eventsPerSecond: number;
}

export type ReplayReport = ScoreReport | RebuildReport;

export interface ReplayJobResult {
  report: ReplayReport;
}

export interface BackfillGateResult {
  replayId: string;
  from: string;
  to: string;
  passed: boolean;
  reason: string;
  /** Replayed payments with a decision of the time and a label now. */
  rows: number;
  challengerAuc: number | null;
  championAuc: number | null;
  /** challenger − champion. */
  aucDelta: number | null;
  maxAucDrop: number;
  flagToApprove: number;
  approveToFlag: number;
  badEvents: number;
}
