/**
 * Allocation-free timestamp parsing for the hot paths (CSV reading, `series()` over strings).
 * Handles `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM`, `YYYY-MM-DD[ T]HH:MM:SS[.fraction]`, each with an
 * optional trailing `Z`; all read as UTC. Calendar fields are range-checked (no Feb 30, no hour 24).
 * `parseTimeString` adds a `±HH:MM` / `±HHMM` offset on top; it is the one text parser of the series
 * layer (`series()`, `parseTime()`, `readCsv()` and the window helpers all go through it).
 */

/** Largest |epoch ms| a JavaScript `Date` can hold (±100,000,000 days around 1970). */
export const MAX_TIME_MS = 8.64e15;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digit(b: Uint8Array, i: number): number {
  const c = b[i] - 48;
  return c >= 0 && c <= 9 ? c : -1000;
}

function two(b: Uint8Array, i: number): number {
  return digit(b, i) * 10 + digit(b, i + 1);
}

/**
 * Parses bytes `b[s..e)` as an ISO-like UTC timestamp. Returns epoch ms, or NaN when the text is not
 * in one of the accepted shapes or a field is out of range (the caller may then try other formats).
 */
export function parseIsoBytes(b: Uint8Array, s: number, e: number): number {
  if (e > s && b[e - 1] === 90 /* Z */) e--;
  const len = e - s;
  if (len < 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return Number.NaN;
  const y = digit(b, s) * 1000 + digit(b, s + 1) * 100 + digit(b, s + 2) * 10 + digit(b, s + 3);
  const mo = two(b, s + 5);
  const d = two(b, s + 8);
  if (y < 0 || mo < 1 || mo > 12 || d < 1) return Number.NaN;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[mo - 1] + (leap ? 1 : 0)) return Number.NaN;
  let ms = daysFromCivil(y, mo, d) * 86_400_000;
  if (len === 10) return ms;
  const sep = b[s + 10];
  if ((sep !== 32 && sep !== 84) || len < 16 || b[s + 13] !== 58) return Number.NaN;
  const h = two(b, s + 11);
  const mi = two(b, s + 14);
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return Number.NaN;
  ms += h * 3_600_000 + mi * 60_000;
  if (len === 16) return ms;
  if (len < 19 || b[s + 16] !== 58) return Number.NaN;
  const sec = two(b, s + 17);
  if (sec < 0 || sec > 59) return Number.NaN;
  ms += sec * 1000;
  if (len === 19) return ms;
  if (b[s + 19] !== 46 || len < 21 || len > 29) return Number.NaN;
  // fraction: milliseconds from the first three digits (truncated, like Date.parse)
  let frac = 0;
  for (let i = s + 20; i < e; i++) {
    const c = digit(b, i);
    if (c < 0) return Number.NaN;
    if (i < s + 23) frac = frac * 10 + c;
  }
  const nd = Math.min(e - (s + 20), 3);
  for (let k = nd; k < 3; k++) frac *= 10;
  return ms + frac;
}

const scratch = new Uint8Array(64);

/** `parseIsoBytes` for a string (ASCII only; anything else gives NaN). */
export function parseIsoString(str: string): number {
  const n = str.length;
  if (n > scratch.length) return Number.NaN;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c > 127) return Number.NaN;
    scratch[i] = c;
  }
  return parseIsoBytes(scratch, 0, n);
}

const OFFSET = /([+-])(\d{2}):?(\d{2})$/;

/**
 * Parses an ISO-8601 timestamp string to epoch ms: the shapes of `parseIsoBytes` (UTC), or a date and a
 * time of day followed by a `±HH:MM` (or `±HHMM`) UTC offset. Calendar fields are checked the same way
 * in both cases (no Feb 30, no hour 24, offsets up to ±23:59). Anything else gives NaN.
 */
export function parseTimeString(str: string): number {
  const ms = parseIsoString(str);
  if (!Number.isNaN(ms)) return ms;
  const m = OFFSET.exec(str);
  if (m === null) return Number.NaN;
  const head = str.slice(0, m.index);
  // an offset needs a time of day before it (and no 'Z': "…Z+01:00" names two zones)
  if (head.length < 16 || head.charCodeAt(head.length - 1) === 90) return Number.NaN;
  const local = parseIsoString(head);
  if (Number.isNaN(local)) return Number.NaN;
  const oh = (m[2].charCodeAt(0) - 48) * 10 + (m[2].charCodeAt(1) - 48);
  const om = (m[3].charCodeAt(0) - 48) * 10 + (m[3].charCodeAt(1) - 48);
  if (oh > 23 || om > 59) return Number.NaN;
  const off = oh * 3_600_000 + om * 60_000;
  return m[1] === '+' ? local - off : local + off;
}
