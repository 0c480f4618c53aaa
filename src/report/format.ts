/** Number and duration formats shared by the command line and the HTML report (for people; JSON stays exact). */

/** A number rounded for reading: integers as they are, others to 4 significant digits, no exponent in 1e-4..1e9. */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e9)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

/** One duration format everywhere: `45 s`, `12 min`, `3 h 05 min`, `2 d 16 h 22 min` (negative with a leading −). */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '-';
  const sign = sec < 0 ? '−' : '';
  const s = Math.round(Math.abs(sec));
  if (s < 60) return `${sign}${s} s`;
  let m = Math.round(s / 60);
  if (m < 60) return `${sign}${m} min`;
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const hm = `${h} h ${String(m).padStart(2, '0')} min`;
  return `${sign}${d > 0 ? `${d} d ` : ''}${hm}`;
}
