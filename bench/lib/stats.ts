// Pure statistics for the benchmark: percentiles, summaries, rates and ratios. No I/O, no clocks.

/**
 * Percentile with linear interpolation between closest ranks (numpy's default, so the Python side computes the same
 * thing from the same samples). `p` in [0, 100]. NaN for an empty sample.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const sorted = sortedCopy(values);
  return percentileOfSorted(sorted, p);
}

export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** n, min, mean, p50/p95/p99, max of a sample (NaN fields for an empty one). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    n,
    min: n > 0 ? sorted[0] : Number.NaN,
    mean: n > 0 ? sum / n : Number.NaN,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: n > 0 ? sorted[n - 1] : Number.NaN,
  };
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/** a / b, or null when either is missing or the quotient is not a finite number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  const r = a / b;
  return Number.isFinite(r) ? r : null;
}

/** Events per second of `count` events over `ms` milliseconds (null for a non-positive span). */
export function ratePerSecond(count: number, ms: number): number | null {
  return ms > 0 ? (count * 1000) / ms : null;
}

/**
 * The steady part of a completion series: from the completion at the `from` fraction of the total to the one at
 * `to`, how many completed in between and their rate, so start-up (group join, JIT, first workflow tasks) and the
 * tail do not count. `times` are completion instants in ms; they need not be sorted. Null when there are too few
 * points.
 */
export function steadyWindow(times: ArrayLike<number>, from = 0.1, to = 0.9): { start: number; end: number; count: number; perSecond: number | null } | null {
  const sorted = sortedCopy(times);
  const n = sorted.length;
  if (n < 10) return null;
  const i = Math.floor(from * (n - 1));
  const j = Math.ceil(to * (n - 1));
  return { start: sorted[i], end: sorted[j], count: j - i, perSecond: ratePerSecond(j - i, sorted[j] - sorted[i]) };
}

/** Sustained rate of a completion series: `steadyWindow`'s rate. */
export function steadyRate(times: ArrayLike<number>, from = 0.1, to = 0.9): number | null {
  return steadyWindow(times, from, to)?.perSecond ?? null;
}

/** Share of equal entries of two verdict lists matched by name (names only in one list count as disagreement). */
export function agreement(a: ReadonlyArray<{ name: string; drifted: boolean }>, b: ReadonlyArray<{ name: string; drifted: boolean }>): {
  agree: number;
  total: number;
  share: number;
  disagreeing: string[];
} {
  const other = new Map(b.map((x) => [x.name, x.drifted]));
  const names = new Set([...a.map((x) => x.name), ...b.map((x) => x.name)]);
  const mine = new Map(a.map((x) => [x.name, x.drifted]));
  const disagreeing: string[] = [];
  for (const name of names) if (!mine.has(name) || !other.has(name) || mine.get(name) !== other.get(name)) disagreeing.push(name);
  const total = names.size;
  return { agree: total - disagreeing.length, total, share: total > 0 ? (total - disagreeing.length) / total : 1, disagreeing };
}
