// The learning loop's configuration as callers give it (CLI, the Temporal UI's update, the start input): every field
// optional, durations as "7d" or milliseconds, checked here. The workflow layers the parsed form over its defaults or
// its running configuration (workflows/learning/config.ts). Pure and deterministic: it runs inside the workflow (the
// updateConfig validator and handler), so zod is part of the workflow bundle.

import { z } from 'zod';
import { parseDurationMs, type DurationInput } from './duration';
import type { QualityMetricName } from './learning';

/** Quality measure compared between models. rocAuc / prAuc: higher is better; logLoss / brier: lower is better. */
const QUALITY_METRIC_NAMES = ['prAuc', 'rocAuc', 'logLoss', 'brier'] as const satisfies readonly QualityMetricName[];
export const QUALITY_METRICS: readonly QualityMetricName[] = QUALITY_METRIC_NAMES;

export interface LearningLoopConfigInput {
  triggers?: {
    /** Retrain after this many new labels since the last training; 0 disables the volume trigger. Default 1000. */
    volumeLabels?: number;
    /** Retrain when the champion (or the last training) is older than this; null disables. Default "7d". */
    maxChampionAge?: DurationInput | null;
    /** No automatic cycle starts within this time after the previous cycle ended. Default "6h". */
    cooldown?: DurationInput;
  };
  drift?: {
    /** Periodic drift check of the champion against its training reference; null disables. Default "1h". */
    checkInterval?: DurationInput | null;
    /** Window of logged feature vectors a check looks at. Default "24h". */
    window?: DurationInput;
    /** A window with fewer rows is not checked. Default 200. */
    minRows?: number;
  };
  training?: {
    /** Only payments whose event time is within this of the cycle's as-of time; null = all. Default "90d". */
    lookback?: DurationInput | null;
    /** Most recent labelled rows used. Default 200000. */
    maxRows?: number;
    /** A cycle with fewer labelled rows (or fraud labels) ends as insufficient-data. Defaults 500 / 10. */
    minRows?: number;
    minPositives?: number;
    /** Share of payments (by stable hash of the payment id) held out for the gate. Default 0.2. */
    holdoutFraction?: number;
    /** L2 penalty of the logistic regression. Default 1e-4. */
    l2?: number;
    classWeight?: 'none' | 'balanced';
  };
  gate?: {
    /** Metric the challenger must not lose on, on the shared holdout. Default "prAuc". */
    metric?: QualityMetricName;
    /** Required improvement of the metric over the champion (negative = tolerated loss). Default 0. */
    minImprovement?: number;
    /** Largest tolerated log-loss increase over the champion (calibration guard); null disables. Default 0.02. */
    maxLogLossIncrease?: number | null;
    minHoldoutRows?: number;
    minHoldoutPositives?: number;
    /** Floor on the metric when there is no champion to compare with. Default 0.5 for AUCs, none for losses. */
    minMetric?: number | null;
  };
  shadow?: {
    /** Shadow ends once this many shadow-scored payments carry a label. Default 500. */
    minLabeledSamples?: number;
    /** …or when this much time has passed. Default "3d". */
    maxDuration?: DurationInput;
    /** How often the paired comparison is refreshed. Default "1h". */
    pollInterval?: DurationInput;
    /** Paired metric, champion vs shadow on the same payments. Default "logLoss". */
    metric?: QualityMetricName;
    /** The shadow fails when it is worse than the champion by more than this. Default 0.01. */
    maxDegradation?: number;
  };
  approval?: {
    /** Who may approve or reject a promotion (compared case-insensitively). Empty: nobody can. Default []. */
    approvers?: string[];
    /** Without a decision by then the candidate is rejected automatically. Default "24h". */
    deadline?: DurationInput;
  };
  watch?: {
    /** Post-promotion window (the previous champion shadows the new one); 0 disables. Default "24h". */
    duration?: DurationInput;
    checkInterval?: DurationInput;
    /** Comparisons on fewer labelled payments are inconclusive (no rollback). Default 200. */
    minLabeledSamples?: number;
    metric?: QualityMetricName;
    /** Roll back when the new champion is worse than the previous one by more than this. Default 0.02. */
    maxRegression?: number;
  };
  /**
   * Optional extra gate before shadow: replay the challenger over the last `hours` of the payments topic (a child
   * replay job) and fail when its AUC is below the champion's decisions of the time by more than `maxAucDrop`.
   * Default null (off).
   */
  backfillGate?: {
    hours: number;
    /** Largest tolerated AUC loss against the champion on the same replayed, labelled payments. Default 0.02. */
    maxAucDrop?: number;
    /** Fewer replayed payments with a decision and a label make the gate inconclusive (it passes). Default 50. */
    minLabeled?: number;
    topic?: string;
  } | null;
  continueAsNew?: {
    /** Continue-as-new after this many cycles in one run. Default 10. */
    afterCycles?: number;
    /** …or when the run's history has this many events (or the server suggests it). Default 20000. */
    maxHistoryEvents?: number;
  };
}

/** Smallest polling interval accepted: anything shorter floods the history without new information. */
const MIN_INTERVAL_MS = 1_000;

/** Normalized identity for allow-list comparisons. */
export function normalizeIdentity(identity: string): string {
  return identity.trim().toLowerCase();
}

// ---- the input schema -------------------------------------------------------------------------------------------
// Every field is optional (absent = keep the base value); a nullable field takes null to disable. The parsed form
// keeps the input's names with durations in milliseconds. Messages name the field, the rule and the value given.
// Accept/reject decisions are the hand-written validator's, which running loops have seen: unknown keys are ignored,
// and a section that is not an object (e.g. `"triggers": 5`) counts as absent.

type Issue = { input?: unknown };
const got = (iss: Issue): string => JSON.stringify(iss.input);
/** One message for every way a value can fail (wrong type, not whole, out of range): `must be <rule>, got <value>`. */
const mustBe = (rule: string) => (iss: Issue) => (iss.input === undefined ? `is required: ${rule}` : `must be ${rule}, got ${got(iss)}`);

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = mustBe(`a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A finite number within [min, max]. */
function number(min: number, max: number) {
  const error = mustBe(`a number from ${min} to ${max}`);
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** A duration ("6h", "1d 12h", a number of milliseconds), parsed to milliseconds, at least `min` ms. */
function duration(min = 0) {
  const error = mustBe('a duration such as "6h" or a number of milliseconds');
  return z
    .union([z.number(), z.string()], { error })
    .transform((value, ctx) => {
      const ms = parseDurationMs(value);
      if (ms === undefined) ctx.issues.push({ code: 'custom', message: error({ input: value }), input: value });
      return ms ?? z.NEVER;
    })
    .pipe(z.number().min(min, { error: (iss) => `must be at least ${min} ms, got ${got(iss)}` }));
}

const metric = z.enum(QUALITY_METRIC_NAMES, { error: (iss) => `must be one of ${QUALITY_METRICS.join(', ')}, got ${got(iss)}` });

/** Who may approve: trimmed, lower-cased, without repeats. A bad entry is named at the list (see `problemsOf`). */
const identities = (() => {
  const error = 'must be a list of non-empty identities (at most 128 characters each)';
  const identity = z.string({ error }).max(128, { error }).refine((a) => a.trim() !== '', { error });
  return z.array(identity, { error }).transform((list) => [...new Set(list.map(normalizeIdentity))]);
})();

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An optional section of plain fields; anything but an object counts as absent (see above). */
const section = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.preprocess((v) => (isRecord(v) ? v : undefined), z.object(shape).partial().optional());

const configInputSchema = z.preprocess(
  (v) => v ?? {},
  z.object(
    {
      triggers: section({ volumeLabels: wholeNumber(0), maxChampionAge: duration(MIN_INTERVAL_MS).nullable(), cooldown: duration() }),
      drift: section({ checkInterval: duration(MIN_INTERVAL_MS).nullable(), window: duration(MIN_INTERVAL_MS), minRows: wholeNumber(1) }),
      training: section({
        lookback: duration(MIN_INTERVAL_MS).nullable(),
        maxRows: wholeNumber(10, 5_000_000),
        minRows: wholeNumber(10),
        minPositives: wholeNumber(1),
        holdoutFraction: number(0.01, 0.9),
        l2: number(0, 1e3),
        classWeight: z.enum(['none', 'balanced'], { error: (iss) => `must be "none" or "balanced", got ${got(iss)}` }),
      }),
      gate: section({
        metric,
        minImprovement: number(-1, 1),
        maxLogLossIncrease: number(0, 100).nullable(),
        minHoldoutRows: wholeNumber(1),
        minHoldoutPositives: wholeNumber(1),
        minMetric: number(0, 100).nullable(),
      }),
      shadow: section({
        minLabeledSamples: wholeNumber(1),
        maxDuration: duration(MIN_INTERVAL_MS),
        pollInterval: duration(MIN_INTERVAL_MS),
        metric,
        maxDegradation: number(0, 100),
      }),
      approval: section({ approvers: identities, deadline: duration(MIN_INTERVAL_MS) }),
      watch: section({
        duration: duration(),
        checkInterval: duration(MIN_INTERVAL_MS),
        minLabeledSamples: wholeNumber(1),
        metric,
        maxRegression: number(0, 100),
      }),
      backfillGate: z
        .object(
          {
            hours: number(0.01, 24 * 90),
            maxAucDrop: number(0, 1).optional(),
            minLabeled: wholeNumber(1).optional(),
            topic: z
              .string({ error: 'must be a topic name' })
              .refine((t) => t.trim() !== '', { error: 'must be a topic name' })
              .transform((t) => t.trim())
              .optional(),
          },
          { error: 'must be an object such as { hours: 24, maxAucDrop: 0.02 } or null' },
        )
        .nullable()
        .optional(),
      continueAsNew: section({ afterCycles: wholeNumber(1, 1000), maxHistoryEvents: wholeNumber(100, 50_000) }),
    },
    { error: 'must be an object' },
  ),
);

/** A checked input: the input's names, durations in milliseconds, approvers normalised. */
export type ParsedLearningConfigInput = z.output<typeof configInputSchema>;

/** `field must be …, got …` per invalid field (the first problem of a field; a list's entries are named at the list). */
function problemsOf(error: z.ZodError): string[] {
  const problems = new Map<string, string>();
  for (const issue of error.issues) {
    const path = issue.path.filter((key) => typeof key === 'string').join('.') || 'config';
    if (!problems.has(path)) problems.set(path, `${path} ${issue.message}`);
  }
  return [...problems.values()];
}

/** Checks a configuration input: the parsed form, or `field must be …, got …` for every invalid field. */
export function parseLearningConfigInput(input: LearningLoopConfigInput | undefined): { ok: true; value: ParsedLearningConfigInput } | { ok: false; problems: string[] } {
  const parsed = configInputSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: problemsOf(parsed.error) };
}
