// Inputs and outputs of the learning activities (activities/learning/), as the workflows call them. Types only, plain
// JSON like the records in ./learning.ts; below both the activities and the workflows (re-exported by
// workflows/learning/types.ts).
import type { ApprovalRecord, ChampionInfo, CycleRecord, DriftFinding, LabelInput, QualityMetrics, TrainingSummary, TriggerRecord } from './learning';

/** The learning loop's training settings, resolved (workflows/learning/config.ts): what training and evaluation use. */
export interface TrainingConfig {
  /** Only payments whose event time is within this of the cycle's as-of time; null = all. */
  lookbackMs: number | null;
  maxRows: number;
  /** A cycle with fewer labelled rows (or fraud labels) ends as insufficient-data. */
  minRows: number;
  minPositives: number;
  /** Share of payments (by stable hash of the payment id) held out for the gate. */
  holdoutFraction: number;
  /** L2 penalty of the logistic regression. */
  l2: number;
  classWeight: 'none' | 'balanced';
}

export interface RecordLabelsInput {
  modelName: string;
  labels: LabelInput[];
}
export interface RecordLabelsResult {
  /** Payments labelled for the first time. */
  inserted: number;
  /** Payments whose label changed to a newer one. */
  updated: number;
  /** Rows already stored as given (re-delivery). */
  unchanged: number;
}

export interface CheckDriftInput {
  modelName: string;
  asOf: string;
  windowMs: number;
  minRows: number;
}
export type CheckDriftResult =
  | { status: 'checked'; finding: DriftFinding; champion: ChampionInfo | null }
  | { status: 'skipped'; reason: 'no-champion' | 'no-reference' | 'too-few-rows'; rows?: number; champion: ChampionInfo | null };

export interface TrainChallengerInput {
  modelName: string;
  cycleId: string;
  asOf: string;
  training: TrainingConfig;
}
export type TrainChallengerResult =
  | ({ status: 'trained' } & TrainingSummary)
  | { status: 'insufficient-data'; rows: number; positives: number; minRows: number; minPositives: number };

export interface EvaluateHoldoutInput {
  modelName: string;
  asOf: string;
  challengerVersion: string;
  championVersion: string | null;
  training: TrainingConfig;
}
export interface EvaluateHoldoutResult {
  asOf: string;
  holdoutRows: number;
  holdoutPositives: number;
  datasetHash: string;
  challenger: QualityMetrics;
  champion: QualityMetrics | null;
}

export interface SetShadowInput {
  modelName: string;
  /** null clears the shadow alias. */
  version: string | null;
  actor: string;
  reason: string;
}
export interface AliasMove {
  changed: boolean;
  champion: string | null;
  shadow: string | null;
  previous: string | null;
}

export interface ComparePairedInput {
  modelName: string;
  primaryVersion: string;
  secondaryVersion: string;
  since: string;
  until: string;
}

export interface PromoteInput {
  modelName: string;
  version: string;
  approver: string;
  reason: string;
}
export interface PromoteResult extends AliasMove {
  previousChampion: string | null;
}

export interface RollbackInput {
  modelName: string;
  /** The champion judged bad; nothing happens if the champion is no longer this version. */
  expectedChampion: string;
  reason: string;
}

/** Rows the loop keeps in PostgreSQL (src/db/schema/learning.ts); upserted, so a retried write is harmless. */
export type LearningRecord =
  | { type: 'trigger'; trigger: TriggerRecord }
  | { type: 'cycle'; cycle: CycleRecord }
  | { type: 'approval'; approval: ApprovalRecord };

export interface PersistRecordsInput {
  modelName: string;
  workflowId: string;
  records: LearningRecord[];
}
