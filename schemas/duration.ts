// Durations for the learning loop's configuration: a number of milliseconds or a string such as "7d", "6h", "90m",
// "30s", "500ms", "1.5h" or "1d 12h". Pure (workflow code may not import the `ms` package @temporalio/common uses).

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/** A duration as configured: milliseconds, or a string of number+unit parts (ms, s, m, h, d, w). */
export type DurationInput = number | string;

/** Milliseconds of a duration; `undefined` when the value is not a valid non-negative duration. */
export function parseDurationMs(value: DurationInput): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < text.length) {
    while (text[pos] === ' ') pos++;
    if (pos >= text.length) break;
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = PART.lastIndex;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** Compact human form of a millisecond duration: "7d", "1d 12h", "45m", "1.5s". */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  // Sub-second remainders only matter for short durations.
  if (rest >= 1_000 || (rest > 0 && parts.length === 0)) parts.push(`${Math.floor(rest / 1_000)}s`);
  return parts.join(' ');
}
