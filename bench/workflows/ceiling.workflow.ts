// Workflows of the ceiling scenario (bench/processes/ceiling.ts): what the Temporal server and SDK cost with no work
// inside, so the pipeline's figures can be read as a share of that ceiling. Pure workflow code, like workflows/.
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES as SA } from '../../src/temporal/search-attributes';

/** No-op steps, named like the saga's: the ceiling child registers them. */
export interface CeilingActivities {
  enrich(): Promise<void>;
  score(): Promise<number>;
  record(): Promise<void>;
}

const local = proxyLocalActivities<CeilingActivities>({ startToCloseTimeout: '5s' });
const remote = proxyActivities<CeilingActivities>({ startToCloseTimeout: '10s' });

/** Returns at once: one workflow task, the least a workflow costs. */
export async function emptyWorkflow(): Promise<void> {}

/** The APPROVE path in one workflow task: enrich, score (local), the decision's search attributes, record (local). */
export async function sagaShapedWorkflow(): Promise<string> {
  return sagaShape(local.record);
}

/** The APPROVE path as it was: the same, but record is a remote activity (a second workflow task, more events). */
export async function sagaShapedRemoteRecordWorkflow(): Promise<string> {
  return sagaShape(remote.record);
}

async function sagaShape(record: () => Promise<void>): Promise<string> {
  await local.enrich();
  const score = await local.score();
  upsertSearchAttributes([
    { key: SA.Decision, value: 'APPROVE' },
    { key: SA.RiskScore, value: score },
  ]);
  await record();
  return 'APPROVE';
}
