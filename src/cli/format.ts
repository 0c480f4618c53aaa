/** Output helpers of the commands: aligned tables, JSON that keeps non-finite numbers, progress on stderr. */
export { formatDuration, formatNumber } from '../report/format.js';

/** Left-aligned columns separated by two spaces. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((x, c) => x.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** JSON with every number exact; NaN and ±Infinity become strings instead of null. */
export function exactJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

/** A progress line on stderr (never on stdout, which carries the result); silent when `quiet`. */
export function progress(quiet: boolean | undefined, message: string): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}
