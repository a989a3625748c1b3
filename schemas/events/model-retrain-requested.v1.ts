import { z } from 'zod';
import { defineContract } from '../contract';
import { modelName, shortText } from '../primitives';

/**
 * model.retrain-requested v1 — a manual retrain trigger from outside the CLI (ops tooling, another team). The
 * learning workflow still applies its cooldown and one-at-a-time rule. Key = modelName.
 */
export const modelRetrainRequestedV1Schema = z.strictObject({
  modelName,
  /** Person or system asking, for the audit trail. */
  requestedBy: z.string().min(1).max(128),
  reason: shortText,
});

export type ModelRetrainRequestedV1 = z.output<typeof modelRetrainRequestedV1Schema>;

export const modelRetrainRequestedV1 = defineContract({
  type: 'model.retrain-requested',
  version: 1,
  schema: modelRetrainRequestedV1Schema,
  subjectField: 'modelName',
  example: {
    modelName: 'fraud',
    requestedBy: 'ops@example.com',
    reason: 'new merchant segment onboarded',
  },
});
