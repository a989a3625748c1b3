import { formatDurationMs, parseDurationMs } from '../../../schemas/duration';

describe('learning durations', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ['250', 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['90m', 5_400_000],
    ['6h', 21_600_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1d 12h', 129_600_000],
    [' 2H30M ', 9_000_000],
  ] as const)('parses %j', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each([-1, Number.NaN, Infinity, '', 'soon', '5 parsecs', '1d x', '-3h', 'h'])('refuses %j', (input) => {
    expect(parseDurationMs(input as string | number)).toBeUndefined();
  });

  it('formats for people', () => {
    expect(formatDurationMs(604_800_000)).toBe('7d');
    expect(formatDurationMs(129_600_000 + 60_000)).toBe('1d 12h 1m');
    expect(formatDurationMs(604_800_012)).toBe('7d');
    expect(formatDurationMs(42_000)).toBe('42s');
    expect(formatDurationMs(250)).toBe('250ms');
  });
});
