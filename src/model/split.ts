// Deterministic train/holdout splits. The same inputs always give the same split, so a challenger and the champion
// can be compared on the same holdout and a retrain is reproducible from its lineage.

import { createRng, fnv1a32 } from './prng';

export interface Split {
  train: Uint32Array;
  holdout: Uint32Array;
}

export class SplitError extends Error {
  readonly code = 'SPLIT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

function checkFraction(fraction: number): void {
  if (!(fraction > 0 && fraction < 1)) throw new SplitError(`holdout fraction must be in (0, 1), got ${fraction}`);
}

/** Random split by seeded shuffle; exactly round(rows · fraction) holdout rows, indices ascending. */
export function splitTrainHoldout(rows: number, options: { holdoutFraction?: number; seed: number }): Split {
  const fraction = options.holdoutFraction ?? 0.2;
  checkFraction(fraction);
  const idx = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) idx[i] = i;
  const rng = createRng(options.seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  const h = Math.round(rows * fraction);
  return { holdout: idx.slice(0, h).sort(), train: idx.slice(h).sort() };
}

/** How `splitByKey` hashes a key; recorded in a model's lineage so a split can be reproduced. */
export const KEY_SPLIT_HASH = 'fnv1a32+fmix32';

/**
 * MurmurHash3's finalizer. FNV-1a alone mixes the last characters of a key poorly into the high bits the split
 * compares, so sequential ids (`pay-0`, `pay-4`, `pay-8`, …) fell on the same side far more often than chance.
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Split by a stable key (e.g. paymentId): a given key is always on the same side, whatever else is in the data
 * set. Use it when data sets overlap between retrains, so yesterday's holdout never leaks into today's training.
 */
export function splitByKey(keys: readonly string[], options: { holdoutFraction?: number; salt?: string } = {}): Split {
  const fraction = options.holdoutFraction ?? 0.2;
  checkFraction(fraction);
  const cut = Math.floor(fraction * 2 ** 32);
  const train: number[] = [];
  const holdout: number[] = [];
  keys.forEach((k, i) => (fmix32(fnv1a32(`${options.salt ?? ''}:${k}`)) < cut ? holdout : train).push(i));
  return { train: Uint32Array.from(train), holdout: Uint32Array.from(holdout) };
}

/** Out-of-time split: the latest `fraction` of rows by event time are the holdout (honest for drifting fraud). */
export function splitByTime(eventTimeMs: ArrayLike<number>, options: { holdoutFraction?: number } = {}): Split {
  const fraction = options.holdoutFraction ?? 0.2;
  checkFraction(fraction);
  const n = eventTimeMs.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => eventTimeMs[a] - eventTimeMs[b] || a - b);
  const h = Math.round(n * fraction);
  return { train: order.slice(0, n - h).sort(), holdout: order.slice(n - h).sort() };
}
