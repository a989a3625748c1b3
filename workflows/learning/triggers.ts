// When does the learning loop retrain? Pure evaluation of the four triggers against the loop's state, so the rules
// (priority, cooldown, one cycle at a time, when to look again) are unit-tested without a workflow.

import type { LearningLoopConfig } from './config';
import { formatDurationMs } from '../../schemas/duration';
import type { DriftFinding, ManualRequest, TriggerKind } from './types';

export interface TriggerContext {
  nowMs: number;
  config: LearningLoopConfig;
  labelsSinceTraining: number;
  pendingManual: ManualRequest | null;
  pendingDrift: DriftFinding | null;
  /** When the current champion was trained; null without a champion. */
  championTrainedAtMs: number | null;
  /** As-of time of the last training this loop ran (any outcome); null if none yet. */
  lastTrainingAtMs: number | null;
  /** When the loop first started: the schedule's base when there is neither a champion nor a training. */
  loopStartedAtMs: number;
  cooldownUntilMs: number | null;
  cycleRunning: boolean;
}

export interface DueTrigger {
  kind: TriggerKind;
  reason: string;
  /** A forced manual request ignores the cooldown (never the one-cycle-at-a-time rule). */
  bypassesCooldown: boolean;
  detail?: Record<string, string | number | boolean | null>;
}

export interface TriggerEvaluation {
  /** Every trigger whose condition holds now, highest priority first (manual, drift, volume, schedule). */
  due: DueTrigger[];
  /** The one to start a cycle for now, if nothing blocks it. */
  fire: DueTrigger | null;
  /** Why a due trigger does not fire. */
  blockedBy: 'cooldown' | 'cycle-running' | null;
  /** When the evaluation can change without any new input (cooldown end, schedule due); null = only on input. */
  wakeAtMs: number | null;
}

/**
 * The schedule falls due `maxChampionAge` after the newer of the champion's training and the loop's last training
 * (a challenger that failed the gate resets the clock too, so a champion that cannot be beaten is not retrained at
 * every cooldown end). Null when the schedule trigger is disabled.
 */
export function scheduleDueAtMs(ctx: Pick<TriggerContext, 'config' | 'championTrainedAtMs' | 'lastTrainingAtMs' | 'loopStartedAtMs'>): number | null {
  const maxAge = ctx.config.triggers.maxChampionAgeMs;
  if (maxAge === null) return null;
  const known = [ctx.championTrainedAtMs, ctx.lastTrainingAtMs].filter((t): t is number => t !== null);
  const base = known.length > 0 ? Math.max(...known) : ctx.loopStartedAtMs;
  return base + maxAge;
}

export function evaluateTriggers(ctx: TriggerContext): TriggerEvaluation {
  const due: DueTrigger[] = [];
  const { config } = ctx;
  if (ctx.pendingManual) {
    due.push({
      kind: 'manual',
      reason: `requested by ${ctx.pendingManual.requestedBy}: ${ctx.pendingManual.reason}`,
      bypassesCooldown: ctx.pendingManual.force,
      detail: { requestedBy: ctx.pendingManual.requestedBy, force: ctx.pendingManual.force, eventId: ctx.pendingManual.eventId ?? null },
    });
  }
  if (ctx.pendingDrift) {
    const d = ctx.pendingDrift;
    due.push({
      kind: 'drift',
      reason: `${d.source === 'periodic' ? 'periodic drift check' : 'drift event'}: ${(d.share * 100).toFixed(0)}% of features drifted${
        d.driftedFeatures.length > 0 ? ` (${d.driftedFeatures.slice(0, 5).join(', ')})` : ''
      }`,
      bypassesCooldown: false,
      detail: { source: d.source, reportId: d.reportId, share: d.share, eventId: d.eventId ?? null },
    });
  }
  const threshold = config.triggers.volumeLabels;
  if (threshold > 0 && ctx.labelsSinceTraining >= threshold) {
    due.push({
      kind: 'volume',
      reason: `${ctx.labelsSinceTraining} new labels since the last training (threshold ${threshold})`,
      bypassesCooldown: false,
      detail: { labels: ctx.labelsSinceTraining, threshold },
    });
  }
  const scheduleDue = scheduleDueAtMs(ctx);
  if (scheduleDue !== null && ctx.nowMs >= scheduleDue) {
    const maxAgeMs = config.triggers.maxChampionAgeMs ?? 0;
    const age = formatDurationMs(ctx.nowMs - (scheduleDue - maxAgeMs));
    const what =
      ctx.championTrainedAtMs === null && ctx.lastTrainingAtMs === null
        ? 'no model trained since the loop started'
        : (ctx.lastTrainingAtMs ?? -Infinity) > (ctx.championTrainedAtMs ?? -Infinity)
          ? 'last training was'
          : 'champion was trained';
    due.push({
      kind: 'schedule',
      reason: `${what} ${age} ago (max age ${formatDurationMs(maxAgeMs)})`,
      bypassesCooldown: false,
      detail: { maxAgeMs },
    });
  }

  const inCooldown = ctx.cooldownUntilMs !== null && ctx.nowMs < ctx.cooldownUntilMs;
  let fire: DueTrigger | null = null;
  let blockedBy: TriggerEvaluation['blockedBy'] = null;
  if (due.length > 0) {
    if (ctx.cycleRunning) blockedBy = 'cycle-running';
    else {
      fire = due.find((t) => t.bypassesCooldown || !inCooldown) ?? null;
      if (!fire) blockedBy = 'cooldown';
    }
  }

  const wakes: number[] = [];
  if (blockedBy === 'cooldown' && ctx.cooldownUntilMs !== null) wakes.push(ctx.cooldownUntilMs);
  if (scheduleDue !== null && scheduleDue > ctx.nowMs) wakes.push(scheduleDue);
  return { due, fire, blockedBy, wakeAtMs: wakes.length > 0 ? Math.min(...wakes) : null };
}
