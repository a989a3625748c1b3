// Bounded lists for state that is carried across continue-as-new: the newest entries win.

/** `list` with `items` appended, keeping only the last `max` entries. */
export function appendBounded<T>(list: readonly T[], items: readonly T[], max: number): T[] {
  const out = [...list, ...items];
  return out.length > max ? out.slice(out.length - max) : out;
}

/** `list` with `item` prepended (most recent first), keeping only the first `max` entries. */
export function prependBounded<T>(list: readonly T[], item: T, max: number): T[] {
  return [item, ...list].slice(0, max);
}

/**
 * Splits `ids` into those not seen before (also unique within `ids`) and re-deliveries, and returns the new window of
 * remembered ids (the most recent `max`).
 */
export function dedupeIds(seen: readonly string[], ids: readonly string[], max: number): { fresh: Set<string>; duplicates: number; seen: string[] } {
  const known = new Set(seen);
  const fresh = new Set<string>();
  let duplicates = 0;
  for (const id of ids) {
    if (known.has(id) || fresh.has(id)) duplicates++;
    else fresh.add(id);
  }
  return { fresh, duplicates, seen: appendBounded(seen, [...fresh], max) };
}
