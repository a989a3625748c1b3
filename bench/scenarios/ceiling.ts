// The ceiling, first among the pipeline scenarios: on the run's own Temporal server, before anything else loads it,
// a child (processes/ceiling.ts) measures empty workflows/s at the pipeline's in-flight bound and start → result of
// bare workflows one at a time, with and without eager start. The pipeline's rows are later divided by these.
import { ceilingRows, type CeilingResult } from '../lib/ceiling';
import { startChild } from '../lib/children';
import { pipelineInFlight } from '../lib/config';
import type { BenchContext } from '../lib/context';
import type { ProcSampler } from '../lib/proc-stats';

export interface CeilingRig {
  childEnv: NodeJS.ProcessEnv;
  logDir: string;
  execArgv: string[];
  sampler: ProcSampler;
}

export async function ceilingScenario(ctx: BenchContext, rig: CeilingRig): Promise<CeilingResult> {
  const inFlight = pipelineInFlight(ctx.config.kafkaPartitions);
  ctx.progress('ceiling: starting its worker and client (one NativeConnection; bundling the bench workflows)');
  const child = await startChild(
    'ceiling',
    'ceiling',
    { taskQueue: `bench-${ctx.runId}-ceiling`, inFlight, throughputSeconds: ctx.config.ceilingSeconds, callsPerVariant: ctx.config.ceilingCalls },
    rig.childEnv,
    { logDir: rig.logDir, execArgv: rig.execArgv, signal: ctx.signal },
  );
  rig.sampler.set({ name: 'ceiling', pid: child.pid });
  const stopProgress = child.onMessage('progress', (m) => ctx.progress(`ceiling: ${String(m.line)}`));
  const window = rig.sampler.begin();
  try {
    child.send({ type: 'measure' });
    const budgetMs = (ctx.config.ceilingSeconds + ctx.config.ceilingCalls * 5 + 120) * 1000;
    const message = await child.waitFor('ceiling', budgetMs, ctx.signal);
    const result = message.result as CeilingResult;
    ctx.details.ceiling = { ...result, usage: window.end() };
    ctx.rows.push(...ceilingRows(result));
    return result;
  } finally {
    stopProgress();
    await child.stop();
    rig.sampler.remove('ceiling');
  }
}
