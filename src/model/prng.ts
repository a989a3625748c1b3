// Seeded PRNG for synthetic data, splits and sampling. Reproducibility matters more than quality here: the same
// seed must give the same data set on every machine, so Math.random is never used in model code.

// Local aliases: hot loops then skip global lookups, which are slow inside Jest 30's sandboxed global object.
const { PI, cos, floor, imul, log, sin, sqrt } = Math;

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  bernoulli(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Index drawn with probability proportional to weights (cumulative weights precomputed by caller). */
  pickWeighted(cumulative: Float64Array): number;
  /** Independent generator derived from this one (for sub-streams that must not shift each other). */
  fork(salt: number): Rng;
}

/** mulberry32: 32-bit state, fast, passes the statistical tests that matter for simulation. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spareNormal: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n) => floor(next() * n),
    normal: () => {
      if (spareNormal !== undefined) {
        const s = spareNormal;
        spareNormal = undefined;
        return s;
      }
      let u = next();
      while (u === 0) u = next();
      const v = next();
      const r = sqrt(-2 * log(u));
      spareNormal = r * sin(2 * PI * v);
      return r * cos(2 * PI * v);
    },
    exponential: (mean) => {
      let u = next();
      while (u === 0) u = next();
      return -log(u) * mean;
    },
    bernoulli: (p) => next() < p,
    pick: (items) => items[floor(next() * items.length)],
    pickWeighted: (cumulative) => {
      const target = next() * cumulative[cumulative.length - 1];
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
    fork: (salt) => createRng(hash32(state, salt)),
  };
  return rng;
}

/** 32-bit mix of two integers (murmur3 finalizer); used to derive seeds. */
export function hash32(a: number, b: number): number {
  let h = (a ^ imul(b >>> 0, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string, 32-bit; stable key hashing for deterministic splits. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}
