import { z } from 'zod';
import { defineContract } from '../contract';
import { modelName, opaqueId, probability } from '../primitives';

/**
 * model.drift-detected v1 — a drift check found the live feature distribution moved. Signals the model's learning
 * workflow (drift trigger; also expires a pending promotion approval). Key = modelName.
 */
export const modelDriftDetectedV1Schema = z.strictObject({
  modelName,
  /** drift_report row id: the full per-feature statistics live there, not in the event. */
  reportId: opaqueId,
  datasetDrift: z.boolean(),
  driftedFeatures: z.array(z.string().min(1).max(64)).max(256),
  /** Share of features that drifted, in [0, 1]. */
  share: probability,
});

export type ModelDriftDetectedV1 = z.output<typeof modelDriftDetectedV1Schema>;

export const modelDriftDetectedV1 = defineContract({
  type: 'model.drift-detected',
  version: 1,
  schema: modelDriftDetectedV1Schema,
  subjectField: 'modelName',
  example: {
    modelName: 'fraud',
    reportId: 'drift-2025-02-01-001',
    datasetDrift: true,
    driftedFeatures: ['amount_log', 'velocity_60s'],
    share: 0.25,
  },
});
