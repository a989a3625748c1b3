/** Small helpers for CLI output: aligned tables and errors a person can act on. */
export function table(rows: Array<Record<string, string | number | undefined>>): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) => (v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

export class CliUsageError extends Error {
  readonly code = 'CLI_USAGE';
}
