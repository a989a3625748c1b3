// The pure part of a chaos run: everything that is decided by the seed (which events are poison, where the same-key
// bursts are, which payments get a label, when each fault fires). Same seed → same plan, so a failing run can be
// replayed with the command it prints.

export const FAULT_KINDS = ['worker', 'bridge', 'temporal', 'kafka', 'postgres', 'pause-temporal', 'pause-postgres', 'reject-notifications'] as const;

/** `mainspring chaos` on the dev stack: kill -9 of every moving part, Temporal paused, notifications refused. */
export const CHAOS_DEFAULT_FAULTS: readonly FaultKind[] = ['worker', 'bridge', 'temporal', 'kafka', 'postgres', 'pause-temporal', 'reject-notifications'];

/**
 * `mainspring rehearse` on the production topology: kill -9 of one of three Kafka brokers (partition leaders move),
 * the Temporal server restarted, one of two workers and one of two bridges killed, PostgreSQL paused.
 */
export const REHEARSAL_DEFAULT_FAULTS: readonly FaultKind[] = ['kafka', 'temporal', 'worker', 'bridge', 'pause-postgres'];

/**
 * How long `reject-notifications` makes PostgreSQL refuse fraud-case notifications: longer than the saga's effect
 * retry budget (6 attempts, ~7 s of backoff; workflows/payment-saga/activity-profiles.ts), so the sagas flagged early in the
 * window give up notifying and compensate what they did (hold, payments.flagged, risk raise).
 */
export const REJECT_NOTIFICATIONS_MS = 30_000;

/** Faults that last long (their own duration, not downMs): one of each per run. */
const LONG_FAULTS: readonly FaultKind[] = ['pause-temporal', 'pause-postgres', 'reject-notifications'];
export type FaultKind = (typeof FAULT_KINDS)[number];

export const POISON_KINDS = ['not-json', 'envelope-invalid', 'unknown-type', 'unknown-version', 'contract-violation', 'route-mismatch', 'missing-key', 'too-large'] as const;
export type PoisonKind = (typeof POISON_KINDS)[number];

/** mulberry32: small, fast and good enough to spread faults and poison; never used for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedEvent {
  /** Position in the stream (0-based); also the record's `chaos-index` header. */
  index: number;
  kind: 'valid' | PoisonKind;
  /** Valid events only: index of the synthetic payment this event carries. */
  payment?: number;
  /** Valid events inside a same-key burst: the payment whose user every member of the burst shares. */
  burstOf?: number;
  /** Valid events only: a label for this payment goes to payments.labeled right after it. */
  labeled?: boolean;
}

export interface StreamPlanOptions {
  seed: number;
  events: number;
  poisonShare: number;
  /** Share of valid events that start a burst of 3–8 payments of the same user (same Kafka key). */
  burstShare?: number;
  labelShare?: number;
}

export function planStream(options: StreamPlanOptions): PlannedEvent[] {
  const random = seededRandom(options.seed ^ 0x5eed);
  const burstShare = options.burstShare ?? 0.04;
  const labelShare = options.labelShare ?? 0.15;
  const out: PlannedEvent[] = [];
  let payment = 0;
  let burst: { leader: number; left: number } | undefined;
  for (let index = 0; index < options.events; index += 1) {
    if (random() < options.poisonShare) {
      out.push({ index, kind: POISON_KINDS[Math.floor(random() * POISON_KINDS.length)] });
      continue;
    }
    const event: PlannedEvent = { index, kind: 'valid', payment };
    if (burst) {
      event.burstOf = burst.leader;
      burst.left -= 1;
      if (burst.left === 0) burst = undefined;
    } else if (random() < burstShare) {
      burst = { leader: payment, left: 2 + Math.floor(random() * 6) };
    }
    if (random() < labelShare) event.labeled = true;
    out.push(event);
    payment += 1;
  }
  return out;
}

export interface PlannedFault {
  kind: FaultKind;
  /** Fires once this many events have been produced (faults fire one after another, never overlapping). */
  atEvent: number;
  /** How long the killed component stays down before it is restarted. */
  downMs: number;
}

export interface FaultPlanOptions {
  seed: number;
  events: number;
  kinds: readonly FaultKind[];
  /** Faults of each kind (pause-temporal and reject-notifications always once: they are long). */
  perKind: number;
}

/** Spreads the faults over 5 %–90 % of the stream in a seeded order, so faults land while events are in flight. */
export function planFaults(options: FaultPlanOptions): PlannedFault[] {
  const random = seededRandom(options.seed ^ 0xfa017);
  const kinds = [...new Set(options.kinds)];
  const faults: FaultKind[] = kinds.flatMap((kind) => Array.from({ length: LONG_FAULTS.includes(kind) ? 1 : options.perKind }, () => kind));
  // Fisher–Yates with the seeded generator: the order of kinds differs between seeds.
  for (let i = faults.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [faults[i], faults[j]] = [faults[j], faults[i]];
  }
  const slot = 0.85 / Math.max(1, faults.length);
  return faults.map((kind, i) => ({
    kind,
    atEvent: Math.floor(options.events * (0.05 + slot * i + slot * 0.8 * random())),
    downMs: 1000 + Math.floor(random() * 4000),
  }));
}

export function parseFaultKinds(value: string): FaultKind[] {
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`unknown fault kind(s) ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  return kinds as FaultKind[];
}
