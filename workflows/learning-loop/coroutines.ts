// The learning loop's three coroutines, running beside its main loop until the run continues as new: the label pump
// (stores queued labels, counts new ones), the drift ticker (periodic drift check) and the outbox (persists trigger,
// cycle and approval records in order).
import { condition, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { LearningActivities } from '../../activities/learning.activities';
import { errorText, iso, now } from '../learning-cycle/steps';
import { MEASURE, STORE } from '../learning/activity-profiles';
import type { ChampionInfo, DriftFinding, LearningLoopState, LearningRecord } from '../learning/types';

const store = proxyActivities<LearningActivities>(STORE);
const measure = proxyActivities<LearningActivities>(MEASURE);

const LABEL_BATCH = 1000;
export const OUTBOX_BATCH = 50;
export const PUMP_RETRY_MS = 30_000;

/** What the coroutines share with the loop's run. */
export interface LoopRun {
  s: LearningLoopState;
  workflowId: string;
  outbox: LearningRecord[];
  stopping(): boolean;
  /** Bumped by every configuration change (the drift ticker re-reads its interval). */
  configVersion(): number;
  poke(): void;
  setChampion(champion: ChampionInfo | null): void;
  onDrift(finding: DriftFinding): void;
}

export async function labelPump(r: LoopRun): Promise<void> {
  for (;;) {
    await condition(() => r.s.pendingLabels.length > 0 || r.stopping());
    if (r.stopping()) return;
    const batch = r.s.pendingLabels.slice(0, LABEL_BATCH);
    try {
      const stored = await store.recordLabels({ modelName: r.s.modelName, labels: batch });
      r.s.pendingLabels.splice(0, batch.length);
      r.s.labels.total += stored.inserted;
      r.s.labels.updated += stored.updated;
      r.s.labels.duplicates += stored.unchanged;
    } catch (err) {
      log.error('storing labels failed; retrying', { modelName: r.s.modelName, error: errorText(err) });
      await sleep(PUMP_RETRY_MS);
      continue;
    }
    r.poke();
  }
}

export async function driftTicker(r: LoopRun): Promise<void> {
  while (!r.stopping()) {
    const interval = r.s.config.drift.checkIntervalMs;
    const seen = r.configVersion();
    if (interval === null) {
      await condition(() => r.stopping() || r.configVersion() !== seen);
      continue;
    }
    const dueAt = Date.parse(r.s.lastDriftCheckAt ?? r.s.startedAt) + interval;
    if (now() < dueAt) {
      await condition(() => r.stopping() || r.configVersion() !== seen, dueAt - now());
      continue;
    }
    try {
      const checked = await measure.checkDrift({ modelName: r.s.modelName, asOf: iso(now()), windowMs: r.s.config.drift.windowMs, minRows: r.s.config.drift.minRows });
      r.setChampion(checked.champion);
      if (checked.status === 'checked') r.onDrift(checked.finding);
    } catch (err) {
      log.warn('drift check failed; next one at the next interval', { modelName: r.s.modelName, error: errorText(err) });
    } finally {
      r.s.lastDriftCheckAt = iso(now());
    }
  }
}

export async function outboxPump(r: LoopRun): Promise<void> {
  for (;;) {
    await condition(() => r.outbox.length > 0 || r.stopping());
    if (r.outbox.length === 0) return;
    const records = r.outbox.splice(0, OUTBOX_BATCH);
    try {
      await store.persistRecords({ modelName: r.s.modelName, workflowId: r.workflowId, records });
    } catch (err) {
      log.error('persisting learning records failed; retrying', { modelName: r.s.modelName, error: errorText(err) });
      r.outbox.unshift(...records);
      await sleep(PUMP_RETRY_MS);
    }
  }
}
