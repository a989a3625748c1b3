// The replay job's public surface: workflow type, input and result, the `progress` query. Imported by the workflow,
// the CLI and the learning loop (backfill gate); only @temporalio/workflow and types.
import { defineQuery } from '@temporalio/workflow';
import type { ReplayJobInput, ReplayJobResult, ReplayProgress } from '../../schemas/replay';

export type * from '../../schemas/replay';

export const REPLAY_JOB_WORKFLOW_TYPE = 'replayJob';

/** Where the job stands: the plan with each partition's checkpoint, counters, and the report once done. */
export const progressQuery = defineQuery<ReplayProgress>('progress');

export type { ReplayJobInput, ReplayJobResult };
