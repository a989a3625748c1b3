// replayJob: replays a range of a Kafka topic through a model version (or rebuilds the feature log) without acting.
// Id = the replay id (derived from the parameters by the CLI, so running the same command again attaches to the
// same job); task queue `learning`.
//
//   plan     resolve the range once: [start, end) per partition, fixed for the life of the job
//   chunks   one activity per chunk of one partition; the workflow holds each partition's next offset (the
//            checkpoint), moved only by a finished chunk, so a chunk cut short by a dying worker simply runs again
//            from the same offset and its upserts overwrite its own rows
//   report   computed from the stored rows, stored, returned
//   continue-as-new every `chunksPerRun` chunks (or when the server suggests it), carrying plan + checkpoint
import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, log, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ReplayActivities } from '../../activities/replay.activities';
import { progressQuery } from './replay-job.messages';
import { checkReplayParams } from './params';
import { applyChunk, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNKS_PER_RUN, doneOffsets, initialReplayState, nextCursor, totalOffsets } from './plan';
import type { ReplayJobInput, ReplayJobResult, ReplayJobState, ReplayPhase, ReplayProgress, ReplayReport } from '../../schemas/replay';
import { NON_RETRYABLE_ERROR_TYPES, type PermanentFailureCode } from '../../schemas/failures';

const NON_RETRYABLE = [...NON_RETRYABLE_ERROR_TYPES];

const plan = proxyActivities<ReplayActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});
// A chunk reads, scores and upserts a few hundred events; the heartbeat lets a dead worker's chunk be retried soon.
const chunkActivities = (heartbeatTimeoutMs: number) =>
  proxyActivities<ReplayActivities>({
    startToCloseTimeout: '15m',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
  });
const report = proxyActivities<ReplayActivities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '2s', maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function replayJob(input: ReplayJobInput): Promise<ReplayJobResult> {
  const params = input?.params;
  const problems = checkReplayParams(params);
  if (problems.length > 0) throw ApplicationFailure.create({ type: 'ReplayInputInvalid' satisfies PermanentFailureCode, message: problems.join('; '), nonRetryable: true });

  let phase: ReplayPhase = input.state ? 'replaying' : 'planning';
  let state: ReplayJobState | null = input.state ? { ...input.state, runs: input.state.runs + 1 } : null;
  // Set once the report is built; the progress query returns it with the last state.
  const finished: { report?: ReplayReport } = {};

  const progress = (): ReplayProgress => ({
    replayId: params.replayId,
    kind: params.kind,
    phase,
    topic: params.topic,
    ...(params.modelVersion ? { modelVersion: params.modelVersion } : {}),
    total: state ? totalOffsets(state.partitions) : 0,
    totals: state?.totals ?? { read: 0, replayed: 0, bad: 0, skipped: 0 },
    partitions: state?.partitions ?? [],
    chunks: state?.chunks ?? 0,
    runs: state?.runs ?? 1,
    startedAt: state?.startedAt ?? new Date().toISOString(),
    ...(finished.report ? { report: finished.report } : {}),
  });
  const show = (): void => {
    const s = state;
    const where = s ? `${doneOffsets(s.partitions)}/${totalOffsets(s.partitions)} offsets · ${s.totals.replayed} replayed · ${s.totals.bad} bad · run ${s.runs}` : '';
    setCurrentDetails(`**${phase}** ${where}`);
  };
  setHandler(progressQuery, progress);

  if (!state) {
    show();
    state = initialReplayState(await plan.planReplay({ topic: params.topic, from: params.from, to: params.to, partition: params.partition }), new Date().toISOString());
  }
  phase = 'replaying';
  show();

  const chunk = chunkActivities(params.heartbeatTimeoutMs ?? 60_000);
  const chunkSize = params.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const chunksPerRun = params.chunksPerRun ?? DEFAULT_CHUNKS_PER_RUN;
  let chunksThisRun = 0;
  for (let cursor = nextCursor(state.partitions); cursor !== null; cursor = nextCursor(state.partitions)) {
    if (chunksThisRun >= chunksPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      log.info('replay continues as new', { replayId: params.replayId, chunks: state.chunks, runs: state.runs });
      return continueAsNew<typeof replayJob>({ params, state });
    }
    const from = cursor.next;
    const result = await chunk.replayChunk({ params, partition: cursor.partition, from, end: cursor.end, maxEvents: chunkSize });
    if (!applyChunk(state, cursor.partition, from, result)) {
      // A chunk that does not move the checkpoint forward would loop forever: stop visibly instead.
      throw ApplicationFailure.create({ type: 'ReplayNoProgress', nonRetryable: true, message: `partition ${cursor.partition}: chunk from ${from} returned next ${result.next}` });
    }
    chunksThisRun++;
    show();
  }

  phase = 'reporting';
  show();
  finished.report = await report.buildReplayReport({ params, state });
  phase = 'done';
  show();
  return { report: finished.report };
}
