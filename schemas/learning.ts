// The learning loop's records and their parts: phases, triggers, metrics, cycles, approvals, promotions, labels.
// Plain JSON, written to the database (src/db/schema/learning.ts) and carried in workflow state; domain types below
// every layer that uses them (re-exported by workflows/learning/types.ts).
import type { BackfillGateResult } from './replay';

export type QualityMetricName = 'prAuc' | 'rocAuc' | 'logLoss' | 'brier';

export type LearningPhase =
  | 'idle'
  | 'retraining'
  | 'gating'
  | 'shadowing'
  | 'awaiting-approval'
  | 'promoting'
  | 'watching'
  | 'rolling-back';

export const LEARNING_PHASES: readonly LearningPhase[] = [
  'idle',
  'retraining',
  'gating',
  'shadowing',
  'awaiting-approval',
  'promoting',
  'watching',
  'rolling-back',
];

export type TriggerKind = 'volume' | 'drift' | 'schedule' | 'manual';

/** What became of a trigger when the loop looked at it. */
export type TriggerOutcome =
  /** a cycle started for it */
  | 'started'
  /** inside the cooldown after the previous cycle: kept pending, fires when the cooldown ends */
  | 'suppressed-cooldown'
  /** a cycle is running (one at a time): kept pending, fires after it, cooldown permitting */
  | 'deferred-cycle-running'
  /** folded into a trigger of the same kind already pending */
  | 'merged'
  /** recorded only (e.g. a drift event that reports no dataset drift) */
  | 'noted';

export interface TriggerRecord {
  /** Unique id (workflow-generated uuid): the key of its learning_trigger row. */
  id: string;
  kind: TriggerKind;
  /** Why, in words (e.g. "1000 new labels since the last training (threshold 1000)"). */
  reason: string;
  /** Workflow time, ISO-8601. */
  at: string;
  outcome: TriggerOutcome;
  /** Cycle it started, when outcome = started. */
  cycleId?: string;
  /** Who asked (manual), event id, drift report id, … */
  detail?: Record<string, string | number | boolean | null>;
}

/** Offline quality of one model on one data set (a subset of src/model/metrics ModelMetrics, JSON-safe). */
export interface QualityMetrics {
  rows: number;
  positives: number;
  rocAuc: number | null;
  prAuc: number | null;
  logLoss: number | null;
  brier: number | null;
  /** At the saga's decision threshold (0.85). */
  precision: number | null;
  recall: number | null;
}

export interface ChampionInfo {
  version: string;
  /** When the champion was trained (lineage.trainedAt, else its registration time), ISO-8601. */
  trainedAt: string;
  /** Whether a drift reference profile is stored with it. */
  hasReference: boolean;
}

/** A finding of drift, from the periodic check or a model.drift-detected event. */
export interface DriftFinding {
  source: 'periodic' | 'event';
  /** drift_report row id (as text), or the event's reportId. */
  reportId: string;
  datasetDrift: boolean;
  share: number;
  driftedFeatures: string[];
  /** Workflow time the loop learned of it. */
  at: string;
  championVersion?: string | null;
  rows?: number;
  /** Event id when it came from Kafka. */
  eventId?: string;
}

export interface ManualRequest {
  requestedBy: string;
  reason: string;
  /** Skip the cooldown (never the one-cycle-at-a-time rule). */
  force: boolean;
  at: string;
  eventId?: string;
}

export interface TrainingSummary {
  version: string;
  sha256: string;
  datasetHash: string;
  rows: number;
  positives: number;
  trainRows: number;
  holdoutRows: number;
  labelTimeRange: { from: string; to: string } | null;
  holdoutMetrics: QualityMetrics;
  /** Whether this call registered the version or found it from an earlier attempt of the same cycle. */
  reused: boolean;
  durationMs: number;
}

export interface GateResult {
  passed: boolean;
  metric: QualityMetricName;
  /** Challenger minus champion on the metric, sign-adjusted so that positive = challenger better. */
  improvement: number | null;
  reasons: string[];
  holdoutRows: number;
  holdoutPositives: number;
  challenger: QualityMetrics;
  champion: QualityMetrics | null;
  championVersion: string | null;
  /** as-of time of the holdout, ISO-8601. */
  asOf: string;
}

/** Paired comparison on the same payments: `primary` decided, `secondary` ran in shadow. */
export interface PairedComparison {
  primaryVersion: string;
  secondaryVersion: string;
  /** Shadow-scored, model-decided payments with a label. */
  samples: number;
  positives: number;
  primary: QualityMetrics | null;
  secondary: QualityMetrics | null;
  /** Mean per-payment log-loss difference secondary − primary and its standard error (negative = secondary better). */
  logLossDelta: { mean: number; stdErr: number } | null;
  since: string;
  until: string;
}

export type ComparisonVerdict = 'better' | 'not-worse' | 'worse' | 'inconclusive';

export interface ShadowSummary {
  version: string;
  championVersion: string;
  startedAt: string;
  endedAt?: string;
  /** Why the shadow period ended. */
  endedBy?: 'min-samples' | 'max-duration';
  comparison?: PairedComparison;
  metric: QualityMetricName;
  /** Shadow minus champion, sign-adjusted (positive = shadow better). */
  improvement?: number | null;
  verdict?: ComparisonVerdict;
  polls: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'auto-rejected' | 'expired';

export interface ApprovalRecord {
  requestId: string;
  cycleId: string;
  modelName: string;
  version: string;
  status: ApprovalStatus;
  requestedAt: string;
  deadline: string;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  /** How the decision arrived. */
  via?: 'update' | 'signal' | 'deadline' | 'drift';
  /** Evidence the approver saw: gate and shadow results at request time. */
  evidence: { gate?: GateResult; shadow?: ShadowSummary };
}

export interface PromotionRecord {
  version: string;
  previousChampion: string | null;
  approver: string;
  reason: string;
  at: string;
  changed: boolean;
}

export interface WatchSummary {
  version: string;
  previousVersion: string;
  startedAt: string;
  endedAt?: string;
  comparison?: PairedComparison;
  metric: QualityMetricName;
  improvement?: number | null;
  verdict?: ComparisonVerdict;
  polls: number;
}

export interface RollbackRecord {
  from: string;
  to: string | null;
  reason: string;
  at: string;
  changed: boolean;
}

export type CycleOutcome =
  | 'insufficient-data'
  | 'gate-failed'
  | 'shadow-failed'
  | 'rejected'
  | 'auto-rejected'
  | 'expired'
  | 'promoted'
  | 'rolled-back'
  | 'failed';

export interface CycleRecord {
  id: string;
  /** 1, 2, 3, … over the life of the loop (survives continue-as-new). */
  number: number;
  modelName: string;
  trigger: TriggerRecord;
  phase: LearningPhase;
  startedAt: string;
  endedAt?: string;
  outcome?: CycleOutcome;
  /** Why it ended the way it did. */
  outcomeReason?: string;
  /** Data cut-off of the training set (point in time), ISO-8601. */
  asOf: string;
  championAtStart: string | null;
  candidate?: string;
  training?: TrainingSummary;
  insufficientData?: { rows: number; positives: number; minRows: number; minPositives: number };
  gate?: GateResult;
  /** Optional backfill gate (config.backfillGate): the challenger replayed over recent history. */
  backfill?: BackfillGateResult;
  /** Gate re-runs after drift expired an approval request. */
  regates: GateResult[];
  shadow?: ShadowSummary;
  approvals: ApprovalRecord[];
  promotion?: PromotionRecord;
  watch?: WatchSummary;
  rollback?: RollbackRecord;
  /** Drift found while the cycle ran. */
  drift: DriftFinding[];
  error?: string;
}

/** A request the loop refused (invalid signal payloads are recorded here: signals cannot be rejected up front). */
export interface RefusedRequest {
  kind: 'approvePromotion' | 'rejectPromotion' | 'retrain' | 'updateConfig';
  code: string;
  message: string;
  at: string;
  from?: string;
}

export interface LabelCounters {
  /** New labels stored over the life of the loop (updates of an existing payment's label not included). */
  total: number;
  /** `total` when the last training snapshot was taken. */
  atLastTraining: number;
  /** Existing payments whose label changed (e.g. legit → fraud after a chargeback). */
  updated: number;
  /** Events dropped as re-deliveries (seen event id or already stored). */
  duplicates: number;
}

/** What a label event contributes: one row of the `label` table. */
export interface LabelInput {
  eventId: string;
  paymentId: string;
  label: 'fraud' | 'legit';
  source: string;
  labeledAt: string;
}
