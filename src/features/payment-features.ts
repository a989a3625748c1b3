// The payment feature spec: the single definition of what the fraud model sees. Serving (enrichment activity),
// training (synthetic data, logged vectors) and drift checks all go through this file, so there is no
// training/serving skew. Any change to a feature, its order, default or encoding is a new FEATURE_SPEC_VERSION;
// models record the spec version they were trained on and the runtime refuses a model built for another spec.

// Local aliases: hot loops then skip global lookups, which are slow inside Jest 30's sandboxed global object.
const { PI, cos, floor, log1p, sin } = Math;
const isFiniteNumber = Number.isFinite;

export const FEATURE_SPEC_VERSION = 'pf-v1' as const;
export type FeatureSpecVersion = typeof FEATURE_SPEC_VERSION;

/** Velocity window: payments of the same user with event time in [t - 60 s, t). */
export const VELOCITY_WINDOW_MS = 60_000;

/** An event is "late" when it is processed more than this after its event time. */
export const LATE_EVENT_THRESHOLD_MS = 5 * 60_000;

export type FeatureType = 'numeric' | 'binary' | 'categorical-encoded';

export interface FeatureDefinition<N extends string = string> {
  readonly name: N;
  readonly type: FeatureType;
  /** Value used when the input does not carry the datum. */
  readonly defaultValue: number;
  readonly description: string;
}

// Order matters: it is the column order of the model input tensor.
export const FEATURE_NAMES = [
  'amount',
  'log_amount',
  'velocity_60s',
  'user_risk_score',
  'account_age_days',
  'country_mismatch',
  'hour_sin',
  'hour_cos',
  'merchant_category_risk',
  'new_device',
  'late_event',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

// Missing-value defaults are "neutral" (population-typical) rather than "suspicious": training data always has a
// profile, so missingness carries no learned signal, and a cold profile store must not flag every payment.
export const PAYMENT_FEATURES: readonly FeatureDefinition<FeatureName>[] = [
  { name: 'amount', type: 'numeric', defaultValue: 0, description: 'Payment amount in USD-equivalent units (fixed spec FX table), clipped to [0, 1e6].' },
  { name: 'log_amount', type: 'numeric', defaultValue: 0, description: 'ln(1 + amount); the scale-free view of amount.' },
  { name: 'velocity_60s', type: 'numeric', defaultValue: 0, description: 'Payments of the same user with event time in [t-60s, t), the current one excluded.' },
  { name: 'user_risk_score', type: 'numeric', defaultValue: 0.1, description: 'Risk score from the user risk profile, 0..1.' },
  { name: 'account_age_days', type: 'numeric', defaultValue: 365, description: 'Days since the account was opened, clipped to [0, 3650].' },
  { name: 'country_mismatch', type: 'binary', defaultValue: 0, description: '1 when the payment country differs from the user home country (0 if either is unknown).' },
  { name: 'hour_sin', type: 'numeric', defaultValue: 0, description: 'sin(2π·h/24), h = UTC hour of event time incl. minutes; cyclic encoding so 23:59 is near 00:00.' },
  { name: 'hour_cos', type: 'numeric', defaultValue: 1, description: 'cos(2π·h/24), companion of hour_sin.' },
  { name: 'merchant_category_risk', type: 'categorical-encoded', defaultValue: 0.5, description: 'Merchant category encoded by the fixed MERCHANT_CATEGORY_RISK table; unknown categories get 0.5.' },
  { name: 'new_device', type: 'binary', defaultValue: 0, description: '1 when the payment comes from a device not seen before for this user.' },
  { name: 'late_event', type: 'binary', defaultValue: 0, description: `1 when the event was processed more than ${LATE_EVENT_THRESHOLD_MS / 60_000} min after its event time.` },
];

/** Prior fraud risk per merchant category (encoding of a categorical feature, part of the spec version). */
export const MERCHANT_CATEGORY_RISK: Readonly<Record<string, number>> = {
  utilities: 0.03,
  grocery: 0.05,
  restaurants: 0.08,
  fuel: 0.1,
  retail: 0.15,
  travel: 0.35,
  electronics: 0.55,
  digital_goods: 0.6,
  jewelry: 0.65,
  gambling: 0.7,
  money_transfer: 0.75,
  gift_cards: 0.8,
  crypto: 0.85,
};
export const UNKNOWN_MERCHANT_CATEGORY_RISK = 0.5;
export const MERCHANT_CATEGORIES = Object.keys(MERCHANT_CATEGORY_RISK);

// Fixed conversion to USD-equivalent so that amounts in different currencies share one scale. Deliberately static:
// the model needs a stable encoding, not today's rate. Unknown currencies are taken as USD.
export const CURRENCY_TO_USD: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CHF: 1.12,
  CAD: 0.74,
  AUD: 0.66,
  SEK: 0.095,
  NOK: 0.094,
  DKK: 0.145,
  PLN: 0.25,
  JPY: 0.0067,
  INR: 0.012,
  BRL: 0.2,
  MXN: 0.058,
};

const AMOUNT_MAX = 1e6;
const ACCOUNT_AGE_MAX_DAYS = 3650;
const VELOCITY_MAX = 1000;

export interface PaymentFeatureInput {
  amount: number;
  currency?: string;
  /** ISO-8601 event time (when the payment happened, not when we saw it). */
  eventTime: string;
  userRiskScore?: number;
  accountAgeDays?: number;
  userHomeCountry?: string;
  paymentCountry?: string;
  merchantCategory: string;
  newDevice?: boolean;
  /** Payments of the user in [eventTime - 60 s, eventTime), see VELOCITY_WINDOW_MS. */
  velocity60s: number;
  lateEvent?: boolean;
}

export interface FeatureVector {
  readonly specVersion: FeatureSpecVersion;
  /** Values in FEATURE_NAMES order, exactly what the model input tensor receives. */
  readonly values: Float32Array;
  /** Same values by name (float32-rounded), for logging to the offline store and for reason codes. */
  readonly named: Readonly<Record<FeatureName, number>>;
  /** Features that fell back to their default because the input did not carry them. */
  readonly defaulted: readonly FeatureName[];
}

export class FeatureInputError extends Error {
  readonly code = 'FEATURE_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'FeatureInputError';
  }
}

export class FeatureSpecMismatchError extends Error {
  readonly code = 'FEATURE_SPEC_MISMATCH';
  constructor(message: string) {
    super(message);
    this.name = 'FeatureSpecMismatchError';
  }
}

const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.fromEntries(
  FEATURE_NAMES.map((name, i) => [name, i]),
) as Record<FeatureName, number>;

export function featureIndex(name: FeatureName): number {
  return FEATURE_INDEX[name];
}

export function featureDefinition(name: FeatureName): FeatureDefinition<FeatureName> {
  return PAYMENT_FEATURES[FEATURE_INDEX[name]];
}

export function merchantCategoryRisk(category: string): number {
  const risk = MERCHANT_CATEGORY_RISK[category.toLowerCase()];
  return risk === undefined ? UNKNOWN_MERCHANT_CATEGORY_RISK : risk;
}

export function toUsdEquivalent(amount: number, currency?: string): number {
  const rate = currency === undefined ? 1 : (CURRENCY_TO_USD[currency.toUpperCase()] ?? 1);
  return amount * rate;
}

export function isLateEvent(eventTimeMs: number, processedAtMs: number): boolean {
  return processedAtMs - eventTimeMs > LATE_EVENT_THRESHOLD_MS;
}

/** Fractional UTC hour of an epoch-ms time, 0 ≤ h < 24. */
export function utcHourOfDay(epochMs: number): number {
  const msOfDay = ((epochMs % 86_400_000) + 86_400_000) % 86_400_000;
  return msOfDay / 3_600_000;
}

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function finiteOrUndefined(x: number | undefined): number | undefined {
  return x === undefined || !isFiniteNumber(x) ? undefined : x;
}

/** Builds the model input for one payment. Pure: same input, same vector. */
export function buildFeatureVector(input: PaymentFeatureInput): FeatureVector {
  if (!isFiniteNumber(input.amount)) throw new FeatureInputError(`amount must be finite, got ${input.amount}`);
  if (!isFiniteNumber(input.velocity60s) || input.velocity60s < 0) {
    throw new FeatureInputError(`velocity60s must be a non-negative number, got ${input.velocity60s}`);
  }
  const eventMs = Date.parse(input.eventTime);
  if (Number.isNaN(eventMs)) throw new FeatureInputError(`eventTime is not an ISO-8601 time: ${input.eventTime}`);

  const defaulted: FeatureName[] = [];
  const amount = clip(toUsdEquivalent(input.amount, input.currency), 0, AMOUNT_MAX);
  const hourAngle = (2 * PI * utcHourOfDay(eventMs)) / 24;

  let userRisk = finiteOrUndefined(input.userRiskScore);
  if (userRisk === undefined) {
    userRisk = featureDefinition('user_risk_score').defaultValue;
    defaulted.push('user_risk_score');
  }
  let accountAge = finiteOrUndefined(input.accountAgeDays);
  if (accountAge === undefined) {
    accountAge = featureDefinition('account_age_days').defaultValue;
    defaulted.push('account_age_days');
  }
  let countryMismatch = 0;
  if (input.userHomeCountry === undefined || input.paymentCountry === undefined) defaulted.push('country_mismatch');
  else countryMismatch = input.userHomeCountry.toUpperCase() === input.paymentCountry.toUpperCase() ? 0 : 1;
  if (input.newDevice === undefined) defaulted.push('new_device');
  if (input.lateEvent === undefined) defaulted.push('late_event');

  const values = new Float32Array(FEATURE_COUNT);
  values[FEATURE_INDEX.amount] = amount;
  values[FEATURE_INDEX.log_amount] = log1p(amount);
  values[FEATURE_INDEX.velocity_60s] = clip(floor(input.velocity60s), 0, VELOCITY_MAX);
  values[FEATURE_INDEX.user_risk_score] = clip(userRisk, 0, 1);
  values[FEATURE_INDEX.account_age_days] = clip(accountAge, 0, ACCOUNT_AGE_MAX_DAYS);
  values[FEATURE_INDEX.country_mismatch] = countryMismatch;
  values[FEATURE_INDEX.hour_sin] = sin(hourAngle);
  values[FEATURE_INDEX.hour_cos] = cos(hourAngle);
  values[FEATURE_INDEX.merchant_category_risk] = merchantCategoryRisk(input.merchantCategory);
  values[FEATURE_INDEX.new_device] = input.newDevice ? 1 : 0;
  values[FEATURE_INDEX.late_event] = input.lateEvent ? 1 : 0;
  return { specVersion: FEATURE_SPEC_VERSION, values, named: namedValues(values), defaulted };
}

function namedValues(values: Float32Array): Record<FeatureName, number> {
  const named = {} as Record<FeatureName, number>;
  for (let i = 0; i < FEATURE_COUNT; i++) named[FEATURE_NAMES[i]] = values[i];
  return named;
}

/** Rebuilds a vector from positional values (e.g. a stored float array). */
export function featureVectorFromValues(values: ArrayLike<number>): FeatureVector {
  if (values.length !== FEATURE_COUNT) {
    throw new FeatureSpecMismatchError(`expected ${FEATURE_COUNT} values for ${FEATURE_SPEC_VERSION}, got ${values.length}`);
  }
  const copy = Float32Array.from(values);
  return { specVersion: FEATURE_SPEC_VERSION, values: copy, named: namedValues(copy), defaulted: [] };
}

/**
 * Rebuilds a vector from named values (e.g. a feature_log row). Refuses another spec version: silently reordering
 * a vector from a different spec is exactly the skew this module exists to prevent.
 */
export function featureVectorFromNamed(
  named: Partial<Record<string, number>>,
  specVersion: string = FEATURE_SPEC_VERSION,
): FeatureVector {
  if (specVersion !== FEATURE_SPEC_VERSION) {
    throw new FeatureSpecMismatchError(`vector has spec ${specVersion}, this build serves ${FEATURE_SPEC_VERSION}`);
  }
  const values = new Float32Array(FEATURE_COUNT);
  const defaulted: FeatureName[] = [];
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const def = PAYMENT_FEATURES[i];
    const v = named[def.name];
    if (v === undefined || !isFiniteNumber(v)) {
      values[i] = def.defaultValue;
      defaulted.push(def.name);
    } else values[i] = v;
  }
  return { specVersion: FEATURE_SPEC_VERSION, values, named: namedValues(values), defaulted };
}

/**
 * Sliding per-user count of earlier payments in the velocity window, by event time. Order-independent for events
 * older than the window: counting is over event times, not arrival order. Used by the synthetic generator and any
 * in-memory enrichment; the PostgreSQL query must implement the same [t-60s, t) window.
 */
export class VelocityTracker {
  private readonly byUser = new Map<string, number[]>();

  /** Count for a payment at `eventMs`, then remember it. */
  observe(userId: string, eventMs: number): number {
    let times = this.byUser.get(userId);
    if (!times) {
      times = [];
      this.byUser.set(userId, times);
    }
    const from = eventMs - VELOCITY_WINDOW_MS;
    // Drop what can no longer fall into any window for in-order input; keep a small tail for late events.
    while (times.length > 0 && times[0] < from - VELOCITY_WINDOW_MS) times.shift();
    let count = 0;
    for (const t of times) if (t >= from && t < eventMs) count++;
    // Insert keeping order so late events still count for later ones.
    let i = times.length;
    while (i > 0 && times[i - 1] > eventMs) i--;
    times.splice(i, 0, eventMs);
    return count;
  }
}
