// Activities of the continual-learning loop (workflows/learning-loop/learning-loop.workflow.ts). Each is idempotent on its own key:
// labels upsert by payment, a training run registers at most one version per cycle, alias moves are no-ops when the
// registry is already in the requested state, records upsert by the ids the workflow generated.
//
// Training sets are point-in-time (src/model/training-data.ts). Reading them, fitting, metrics and drift statistics
// go through `deps.compute`: in the worker a thread of their own, so the sagas sharing this event loop keep running.
import { createInlineLearningCompute } from '../src/model/learning-compute';
import { createAliasActivities } from './learning/aliases.activities';
import { createDriftActivities } from './learning/drift.activities';
import { createLabelActivities } from './learning/labels.activities';
import { createRecordActivities } from './learning/records.activities';
import type { LearningActivityDeps } from './learning/shared';
import { createTrainingActivities } from './learning/training.activities';

export { toQualityMetrics, type LearningActivityDeps } from './learning/shared';
// The loaders moved next to the trainer (they run on the compute thread); re-exported for existing callers.
export { holdoutSplit, loadLabeledDataset, type LabeledDataset, type LabeledRow } from '../src/model/training-data';

/** Every learning activity, by concern: labels, drift, training and evaluation, aliases, records. */
export function createLearningActivities(deps: LearningActivityDeps) {
  // One compute (the worker's thread, or inline) shared by every concern.
  const shared: LearningActivityDeps = { ...deps, compute: deps.compute ?? createInlineLearningCompute(deps.db) };
  return {
    ...createLabelActivities(shared),
    ...createDriftActivities(shared),
    ...createTrainingActivities(shared),
    ...createAliasActivities(shared),
    ...createRecordActivities(shared),
  };
}

export type LearningActivities = ReturnType<typeof createLearningActivities>;
