// Synthetic payments with a known fraud mechanism, for demos, tests, training and benchmarks.
// Deterministic per seed. Fraud depends on the features the way it does in card fraud (account takeover bursts from
// new devices abroad at risky merchants, risky/new accounts more often victims, fraud uniform over the day while
// legitimate traffic follows a daily cycle), with a stealthy share that looks legitimate so the task is not trivial.
// Drift can be injected from a chosen event time: amount scale shift, new country mix, fraud pattern shift.

import {
  buildFeatureVector,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SPEC_VERSION,
  utcHourOfDay,
  VelocityTracker,
  type FeatureName,
  type FeatureSpecVersion,
  type PaymentFeatureInput,
} from '../features/payment-features';
import type { FeatureMatrix } from './matrix';
import { createRng, hash32 } from './prng';

// Local aliases: hot loops then skip global lookups, which are slow inside Jest 30's sandboxed global object.
const { PI, cos, exp, floor, max, min, round } = Math;

export interface DriftInjection {
  /** Event time (ISO or epoch ms) from which the drift applies; default: from the first payment. */
  startAt?: string | number;
  /** Multiplies every amount (e.g. 3 = inflation / new high-value segment). */
  amountScale?: number;
  /** Share of legitimate payments made from countries that are nobody's home country (new market mix). */
  newCountryShare?: number;
  /** Fraud switches to card testing: bursts of small domestic payments from known devices, any victim. */
  fraudPatternShift?: boolean;
}

export interface LabelDelay {
  /** Delay range [min, max] in ms between event time and label time, drawn uniformly. */
  fraudMs: readonly [number, number];
  legitMs: readonly [number, number];
}

export interface SyntheticOptions {
  seed: number;
  /** Seed of the user/merchant population; default `seed`. Same population + other seed = same customers later. */
  populationSeed?: number;
  /** Number of payments to produce; default unbounded (a stream producer takes what it needs). */
  count?: number;
  /** Event time of the start (ISO or epoch ms); default 2025-01-01T00:00:00Z. */
  startTime?: string | number;
  /** Mean payment rate in event time, per second; default 1 (≈ 86k payments per simulated day). */
  ratePerSecond?: number;
  /** Users; default 2000. Independent of count, so a shorter run is a prefix of a longer one. */
  users?: number;
  merchants?: number;
  /** Target share of fraudulent payments; default 0.02. */
  fraudRate?: number;
  labelDelay?: LabelDelay;
  /** Share of legitimate payments processed late (see LATE_EVENT_THRESHOLD_MS); default 0.01. */
  lateEventRate?: number;
  drift?: DriftInjection;
}

export type FraudPattern = 'account-takeover' | 'stealth' | 'card-testing';

export interface SyntheticPayment {
  paymentId: string;
  userId: string;
  merchantId: string;
  /** Amount in `currency` units. */
  amount: number;
  currency: string;
  /** Country the payment is made from. */
  country: string;
  userHomeCountry: string;
  merchantCategory: string;
  deviceId: string;
  newDevice: boolean;
  eventTime: string;
  eventTimeMs: number;
  /** Earlier payments of the user in [t-60 s, t) by event time, as the feature spec defines. */
  velocity60s: number;
  lateEvent: boolean;
  userRiskScore: number;
  accountAgeDays: number;
  isFraud: boolean;
  fraudPattern: FraudPattern | null;
  /** When the label (chargeback / confirmed legit) becomes known. */
  labelTime: string;
  labelTimeMs: number;
  /** Whether injected drift applies to this payment. */
  drifted: boolean;
}

export interface SyntheticUser {
  userId: string;
  /** The user's usual device; seed it as a known device of the risk profile so new_device matches. */
  primaryDeviceId: string;
  homeCountry: string;
  currency: string;
  riskScore: number;
  accountAgeDays: number;
}

export const DEFAULT_START_TIME = '2025-01-01T00:00:00.000Z';
export const DEFAULT_LABEL_DELAY: LabelDelay = {
  fraudMs: [3_600_000, 3 * 86_400_000],
  legitMs: [86_400_000, 7 * 86_400_000],
};

const HOME_COUNTRIES: readonly { country: string; currency: string; weight: number }[] = [
  { country: 'US', currency: 'USD', weight: 40 },
  { country: 'GB', currency: 'GBP', weight: 15 },
  { country: 'DE', currency: 'EUR', weight: 15 },
  { country: 'FR', currency: 'EUR', weight: 10 },
  { country: 'ES', currency: 'EUR', weight: 10 },
  { country: 'NL', currency: 'EUR', weight: 10 },
];
const FRAUD_COUNTRIES = ['RU', 'NG', 'RO', 'VN', 'UA', 'ID'];
const NEW_MARKET_COUNTRIES = ['BR', 'IN', 'MX', 'PH'];
const CURRENCY_RATE: Readonly<Record<string, number>> = { USD: 1, GBP: 1.27, EUR: 1.08 };

// Legitimate category mix and median amount (USD) per category.
const CATEGORY_PROFILE: Readonly<Record<string, { weight: number; medianUsd: number }>> = {
  grocery: { weight: 20, medianUsd: 45 },
  restaurants: { weight: 18, medianUsd: 35 },
  retail: { weight: 20, medianUsd: 60 },
  fuel: { weight: 10, medianUsd: 50 },
  utilities: { weight: 5, medianUsd: 90 },
  travel: { weight: 6, medianUsd: 400 },
  electronics: { weight: 7, medianUsd: 300 },
  digital_goods: { weight: 6, medianUsd: 15 },
  jewelry: { weight: 2, medianUsd: 500 },
  gambling: { weight: 2, medianUsd: 80 },
  money_transfer: { weight: 2, medianUsd: 250 },
  gift_cards: { weight: 1.5, medianUsd: 100 },
  crypto: { weight: 1, medianUsd: 400 },
};
const CATEGORIES = Object.keys(CATEGORY_PROFILE);
const FRAUD_CATEGORY_WEIGHTS: Readonly<Record<string, number>> = {
  electronics: 25, gift_cards: 20, crypto: 15, money_transfer: 15, jewelry: 10, digital_goods: 10, travel: 5,
};

function toEpochMs(t: string | number): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => (out[i] = acc += w));
  return out;
}

/** Relative legitimate traffic by UTC hour: trough around 04:00, peak around 16:00; mean 0.6. */
function diurnalIntensity(hour: number): number {
  return 0.6 - 0.4 * cos((2 * PI * (hour - 4)) / 24);
}

interface Merchant {
  merchantId: string;
  category: string;
}

interface PendingFraud {
  timeMs: number;
  seq: number;
  user: SyntheticUser;
  merchant: Merchant;
  amountUsd: number;
  country: string;
  deviceId: string;
  pattern: FraudPattern;
  late: boolean;
}

/** Min-heap by (timeMs, seq): burst payments scheduled ahead are released in event-time order. */
class PendingQueue {
  private readonly items: PendingFraud[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): PendingFraud | undefined {
    return this.items[0];
  }
  private less(a: PendingFraud, b: PendingFraud): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }
  push(item: PendingFraud): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): PendingFraud | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Builds the population (users, merchants) for a seed; exposed so producers can seed risk profiles. */
export function generatePopulation(options: Pick<SyntheticOptions, 'seed' | 'populationSeed' | 'users' | 'merchants'>): {
  users: SyntheticUser[];
  merchants: { merchantId: string; category: string }[];
} {
  const rng = createRng(hash32(options.populationSeed ?? options.seed, 0x5eed));
  const userCount = options.users ?? 2000;
  const merchantCount = options.merchants ?? 500;
  const homeCum = cumulative(HOME_COUNTRIES.map((c) => c.weight));
  const users: SyntheticUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const home = HOME_COUNTRIES[rng.pickWeighted(homeCum)];
    const riskScore = min(1, exp(rng.normal() * 0.8 - 2.3));
    const accountAgeDays = rng.bernoulli(0.06) ? rng.int(30) : min(3650, 30 + round(rng.exponential(700)));
    const userId = `u-${String(i).padStart(6, '0')}`;
    users.push({ userId, primaryDeviceId: `d-${userId}-0`, homeCountry: home.country, currency: home.currency, riskScore: roundTo(riskScore, 4), accountAgeDays });
  }
  const catCum = cumulative(CATEGORIES.map((c) => CATEGORY_PROFILE[c].weight));
  const merchants: Merchant[] = [];
  for (let i = 0; i < merchantCount; i++) {
    merchants.push({ merchantId: `m-${String(i).padStart(5, '0')}`, category: CATEGORIES[rng.pickWeighted(catCum)] });
  }
  // Every category needs at least one merchant so category draws never fail.
  CATEGORIES.forEach((category, i) => {
    if (!merchants.some((m) => m.category === category)) merchants.push({ merchantId: `m-x${i}`, category });
  });
  return { users, merchants };
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return round(x * f) / f;
}

/** Payments in event-time order. Lazily generated: a stream producer can take as many as it needs. */
export function* generatePayments(options: SyntheticOptions): Generator<SyntheticPayment> {
  const rng = createRng(options.seed);
  const startMs = toEpochMs(options.startTime ?? DEFAULT_START_TIME);
  const rate = options.ratePerSecond ?? 1;
  const fraudRate = options.fraudRate ?? 0.02;
  const lateRate = options.lateEventRate ?? 0.01;
  const delay = options.labelDelay ?? DEFAULT_LABEL_DELAY;
  const drift = options.drift;
  const driftStartMs = drift?.startAt === undefined ? startMs : toEpochMs(drift.startAt);
  const { users, merchants } = generatePopulation(options);

  const activityCum = cumulative(users.map(() => exp(rng.normal() * 0.7)));
  const victimCum = cumulative(users.map((u) => (0.03 + u.riskScore) * (u.accountAgeDays < 30 ? 4 : 1)));
  const uniformCum = cumulative(users.map(() => 1));
  const byCategory = new Map<string, Merchant[]>();
  for (const m of merchants) byCategory.set(m.category, [...(byCategory.get(m.category) ?? []), m]);
  const catCum = cumulative(CATEGORIES.map((c) => CATEGORY_PROFILE[c].weight));
  const fraudCats = Object.keys(FRAUD_CATEGORY_WEIGHTS);
  const fraudCatCum = cumulative(fraudCats.map((c) => FRAUD_CATEGORY_WEIGHTS[c]));

  // Candidate arrivals at the peak rate; a candidate is a legit payment with probability diurnal(h) (thinning)
  // and independently starts a fraud episode. The fraud share is target × nightFactor(h): about 2× higher at night
  // than by day (so hour of day carries signal) yet within ±40 % of the target in any window.
  const peakRate = rate / 0.6;
  const odds = fraudRate / (1 - fraudRate);
  // Mean payments per episode: 0.8 × account takeover (1 + E⌊Exp(1.9)⌋ ≈ 2.44) + 0.2 × stealth (1); card testing
  // is 2 + E⌊Exp(1.2)⌋ ≈ 2.77.
  const episodeProbability = (timeMs: number, shifted: boolean): number => {
    const hour = utcHourOfDay(timeMs);
    const nightFactor = 1 + 0.4 * cos((2 * PI * (hour - 3)) / 24);
    return (odds * nightFactor * diurnalIntensity(hour)) / (shifted ? 2.77 : 2.15);
  };

  const knownDevices = new Map<string, Set<string>>();
  const primaryDevice = (u: SyntheticUser): string => u.primaryDeviceId;
  const velocity = new VelocityTracker();
  const pending = new PendingQueue();
  let seq = 0;
  let emitted = 0;
  let t = startMs;

  const merchantIn = (category: string): Merchant => rng.pick(byCategory.get(category) ?? merchants);
  const lognormalAmount = (medianUsd: number, sigma: number): number => medianUsd * exp(rng.normal() * sigma);

  const emit = (p: {
    timeMs: number; user: SyntheticUser; merchant: Merchant; amountUsd: number; country: string; deviceId: string;
    isFraud: boolean; pattern: FraudPattern | null; late: boolean;
  }): SyntheticPayment => {
    const isDrifted = drift !== undefined && p.timeMs >= driftStartMs;
    const scale = isDrifted && drift.amountScale !== undefined ? drift.amountScale : 1;
    let devices = knownDevices.get(p.user.userId);
    if (!devices) {
      devices = new Set([primaryDevice(p.user)]);
      knownDevices.set(p.user.userId, devices);
    }
    const newDevice = !devices.has(p.deviceId);
    devices.add(p.deviceId);
    const rateToUsd = CURRENCY_RATE[p.user.currency] ?? 1;
    const amount = max(0.01, roundTo((p.amountUsd * scale) / rateToUsd, 2));
    const [lo, hi] = p.isFraud ? delay.fraudMs : delay.legitMs;
    const labelTimeMs = p.timeMs + round(lo + (hi - lo) * rng.next());
    const index = emitted++;
    return {
      paymentId: `pay-${options.seed.toString(16)}-${String(index).padStart(8, '0')}`,
      userId: p.user.userId,
      merchantId: p.merchant.merchantId,
      amount,
      currency: p.user.currency,
      country: p.country,
      userHomeCountry: p.user.homeCountry,
      merchantCategory: p.merchant.category,
      deviceId: p.deviceId,
      newDevice,
      eventTime: new Date(p.timeMs).toISOString(),
      eventTimeMs: p.timeMs,
      velocity60s: velocity.observe(p.user.userId, p.timeMs),
      lateEvent: p.late,
      userRiskScore: p.user.riskScore,
      accountAgeDays: p.user.accountAgeDays,
      isFraud: p.isFraud,
      fraudPattern: p.pattern,
      labelTime: new Date(labelTimeMs).toISOString(),
      labelTimeMs,
      drifted: isDrifted,
    };
  };

  const scheduleEpisode = (startAt: number): void => {
    const shifted = drift?.fraudPatternShift === true && startAt >= driftStartMs;
    const user = users[rng.pickWeighted(shifted ? uniformCum : victimCum)];
    if (shifted) {
      // Card testing: many small payments in quick succession, domestic, from the victim's own device.
      const size = 2 + min(6, floor(rng.exponential(1.2)));
      const merchant = merchantIn(rng.bernoulli(0.7) ? 'digital_goods' : 'retail');
      let at = startAt;
      for (let k = 0; k < size; k++) {
        pending.push({ timeMs: round(at), seq: seq++, user, merchant, amountUsd: 1 + rng.next() * 9, country: user.homeCountry, deviceId: primaryDevice(user), pattern: 'card-testing', late: false });
        at += 1000 + rng.exponential(5000);
      }
      return;
    }
    if (rng.bernoulli(0.2)) {
      // Stealth fraud: one ordinary-looking payment; caps achievable recall like real fraud does.
      const merchant = merchantIn(CATEGORIES[rng.pickWeighted(catCum)]);
      pending.push({ timeMs: round(startAt), seq: seq++, user, merchant, amountUsd: lognormalAmount(CATEGORY_PROFILE[merchant.category].medianUsd * 1.5, 0.8), country: user.homeCountry, deviceId: primaryDevice(user), pattern: 'stealth', late: rng.bernoulli(lateRate) });
      return;
    }
    // Account takeover: a burst from a fresh device, often abroad, at risky merchants, larger amounts.
    const size = 1 + min(7, floor(rng.exponential(1.9)));
    const deviceId = `d-${user.userId}-f${seq}`;
    const deviceIsNew = rng.bernoulli(0.75);
    const country = rng.bernoulli(0.6) ? rng.pick(FRAUD_COUNTRIES) : user.homeCountry;
    const late = rng.bernoulli(0.05);
    let at = startAt;
    for (let k = 0; k < size; k++) {
      const category = rng.bernoulli(0.7) ? fraudCats[rng.pickWeighted(fraudCatCum)] : CATEGORIES[rng.pickWeighted(catCum)];
      const amountUsd = lognormalAmount(CATEGORY_PROFILE[category].medianUsd * 2.5, 0.7);
      pending.push({ timeMs: round(at), seq: seq++, user, merchant: merchantIn(category), amountUsd, country, deviceId: deviceIsNew ? deviceId : primaryDevice(user), pattern: 'account-takeover', late });
      at += 2000 + rng.exponential(10_000);
    }
  };

  const count = options.count ?? Number.POSITIVE_INFINITY;
  while (emitted < count) {
    t += rng.exponential(1000 / peakRate);
    const candidateTime = round(t);
    while (pending.size > 0 && pending.peek()!.timeMs <= candidateTime && emitted < count) {
      const f = pending.pop()!;
      yield emit({ timeMs: f.timeMs, user: f.user, merchant: f.merchant, amountUsd: f.amountUsd, country: f.country, deviceId: f.deviceId, isFraud: true, pattern: f.pattern, late: f.late });
    }
    if (emitted >= count) break;
    // Fixed number of draws per candidate, so injected drift does not shift the random stream of other fields.
    const uLegit = rng.next();
    const uEpisode = rng.next();
    const uCountry = rng.next();
    const uTravel = rng.next();
    const uDevice = rng.next();
    const uLate = rng.next();
    const user = users[rng.pickWeighted(activityCum)];
    const category = CATEGORIES[rng.pickWeighted(catCum)];
    const amountUsd = lognormalAmount(CATEGORY_PROFILE[category].medianUsd, 0.8);
    const foreign = rng.pick(HOME_COUNTRIES).country;
    const newMarket = rng.pick(NEW_MARKET_COUNTRIES);
    const shiftedFraud = drift?.fraudPatternShift === true && candidateTime >= driftStartMs;
    if (uEpisode < episodeProbability(candidateTime, shiftedFraud)) scheduleEpisode(candidateTime);
    if (uLegit >= diurnalIntensity(utcHourOfDay(candidateTime))) continue;
    const inDrift = drift !== undefined && candidateTime >= driftStartMs;
    let country = user.homeCountry;
    if (inDrift && uCountry < (drift.newCountryShare ?? 0)) country = newMarket;
    else if (uTravel < 0.04) country = foreign;
    // Legit travellers and new phones produce the same signals as fraud, at a lower rate.
    const deviceId = uDevice < 0.02 ? `d-${user.userId}-n${seq++}` : primaryDevice(user);
    yield emit({ timeMs: candidateTime, user, merchant: merchantIn(category), amountUsd, country, deviceId, isFraud: false, pattern: null, late: uLate < lateRate });
  }
}

/** The feature-spec input for a synthetic payment (what enrichment would assemble from the event + profile). */
export function paymentFeatureInput(p: SyntheticPayment): PaymentFeatureInput {
  return {
    amount: p.amount,
    currency: p.currency,
    eventTime: p.eventTime,
    userRiskScore: p.userRiskScore,
    accountAgeDays: p.accountAgeDays,
    userHomeCountry: p.userHomeCountry,
    paymentCountry: p.country,
    merchantCategory: p.merchantCategory,
    newDevice: p.newDevice,
    velocity60s: p.velocity60s,
    lateEvent: p.lateEvent,
  };
}

export interface TrainingSet {
  readonly specVersion: FeatureSpecVersion;
  readonly featureNames: readonly FeatureName[];
  /** Float32 rows in feature-spec order, exactly as served. */
  readonly X: FeatureMatrix;
  /** 1 = fraud. */
  readonly y: Uint8Array;
  readonly eventTimeMs: Float64Array;
  readonly labelTimeMs: Float64Array;
  readonly fraudRate: number;
  readonly seed: number;
}

export interface TrainingSetOptions extends Omit<SyntheticOptions, 'count'> {
  rows: number;
}

/** Feature rows + labels straight from the generator, through the same buildFeatureVector as serving. */
export function generateTrainingSet(options: TrainingSetOptions): TrainingSet {
  const { rows, ...rest } = options;
  const X = new Float32Array(rows * FEATURE_COUNT);
  const y = new Uint8Array(rows);
  const eventTimeMs = new Float64Array(rows);
  const labelTimeMs = new Float64Array(rows);
  let i = 0;
  let positives = 0;
  for (const p of generatePayments({ ...rest, count: rows })) {
    X.set(buildFeatureVector(paymentFeatureInput(p)).values, i * FEATURE_COUNT);
    y[i] = p.isFraud ? 1 : 0;
    positives += y[i];
    eventTimeMs[i] = p.eventTimeMs;
    labelTimeMs[i] = p.labelTimeMs;
    i++;
  }
  return {
    specVersion: FEATURE_SPEC_VERSION,
    featureNames: FEATURE_NAMES,
    X: { data: X, rows, cols: FEATURE_COUNT },
    y,
    eventTimeMs,
    labelTimeMs,
    fraudRate: rows > 0 ? positives / rows : 0,
    seed: options.seed,
  };
}

/** Merchant categories the generator draws from (all of them are in the spec's risk table). */
export const SYNTHETIC_MERCHANT_CATEGORIES: readonly string[] = CATEGORIES;
