/** The conformance kit's parts: its spec and options, synthetic data, and the assertions its clauses share. */
import { AssertionError } from 'node:assert/strict';
import type fc from 'fast-check';
import type { Detector, StreamResult, StreamScorer } from '../detectors/types.js';
import { TsadError } from '../errors.js';
import type { TimeSeries } from '../series/types.js';

/** What the kit checks: a name and a factory of untrained detectors with a fixed seed. */
export interface KitSpec {
  readonly name: string;
  /** An untrained detector; `overrides` are extra config fields (from `configArb`). */
  make(overrides?: Record<string, unknown>): Detector;
  /** Random config overrides for the save/load round trip (default: none). */
  readonly configArb?: fc.Arbitrary<Record<string, unknown>>;
}

export interface KitOptions {
  /** Length of the synthetic train series (default 600). */
  trainLength?: number;
  /** Length of the synthetic test series (default 300). */
  testLength?: number;
  /** fast-check runs of the property clauses (default 15). */
  numRuns?: number;
  /**
   * Mutated model files the loader fuzz clause loads and scores (default 300; it also loads two
   * thirds as many arbitrary JSON values).
   */
  fuzzRuns?: number;
  /** The model-file loader (default tsad's `loadModel`; pass your own registry's for your types). */
  load?: (json: unknown) => Detector;
  /** Whether the config's `seed` drives random choices: then two seeds must give two models (default false). */
  seeded?: boolean;
  /**
   * Whether `score(b, { prev: a })` equals the tail of `score(a ++ b)` (default true). Set it to
   * false for models that learn while scoring but treat `prev` as transform context only (an online
   * RandomCutForest, an ensemble holding one): `score(a ++ b)` learns from `a` before it reaches `b`,
   * so the clause does not hold and is not run. Models that learn `prev` as they would learn `a`
   * (ETS, NabStreamDetector, RollingMad, FlatLine, Discord) pass it.
   */
  prevIsContext?: boolean;
  /**
   * Config overrides that give the detector a plain threshold rule (`{ threshold: { type:
   * 'threshold', ... } }` by default; the kit adds `almThreshold`). `null`: the detector's alarm
   * level is fixed and labels do not train it, so the F1 clause is skipped (ArtDetector: its train scores
   * are all 0, the training part being its probationary period).
   */
  labelThreshold?: ((almThreshold: number) => Record<string, unknown>) | null;
  /** The calibrated train scores the alarm rule was trained on (default: the detector's `trainScores`). */
  trainScores?: (d: Detector) => TimeSeries | null | undefined;
}

/** One clause of the contract: run it to check it. */
export interface KitClause {
  readonly name: string;
  run(): void;
}

export const STEP = 300_000; // 5 minutes
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic synthetic data: daily-ish sine, noise from a fixed LCG, a few spikes. */
export function syntheticSeries(n: number, seed = 1, start = T0): TimeSeries {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    t[i] = start + i * STEP;
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * (rnd() - 0.5) + (i % 97 === 50 ? 25 : 0);
  }
  return { t, v };
}

export function split(ts: TimeSeries, k: number): [TimeSeries, TimeSeries] {
  return [
    { t: ts.t.slice(0, k), v: ts.v.slice(0, k) },
    { t: ts.t.slice(k), v: ts.v.slice(k) },
  ];
}

export function fail(message: string): never {
  throw new AssertionError({ message });
}

export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) fail(`${what}: lengths ${a.length} and ${b.length} differ`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) fail(`${what}: index ${i}: ${a[i]} !== ${b[i]}`);
}

export function sameResult(a: StreamResult, b: StreamResult, what: string): void {
  if (!Object.is(a.score, b.score)) fail(`${what}: score ${a.score} !== ${b.score}`);
  if (a.alarm !== b.alarm) fail(`${what}: alarm ${a.alarm} !== ${b.alarm}`);
}

export function finite(ts: TimeSeries, what: string): void {
  for (let i = 0; i < ts.v.length; i++)
    if (!Number.isFinite(ts.v[i])) fail(`${what}: score ${i} is ${ts.v[i]}`);
}

/** Runs `fn`; it must either return finite scores or throw a TsadError. */
export function finiteOrTsadError(fn: () => TimeSeries[], what: string): void {
  let out: TimeSeries[];
  try {
    out = fn();
  } catch (e) {
    if (!(e instanceof TsadError)) throw e;
    return;
  }
  for (const ts of out) finite(ts, what);
}

/** Only TsadError subclasses may escape `fn`. */
export function onlyTsadErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TsadError)) fail(`non-TsadError thrown: ${String(e)}`);
  }
}

/** Pushes every point; NaN-scored points are kept as NaN. */
export function pushAll(s: StreamScorer, ts: TimeSeries): StreamResult[] {
  const out: StreamResult[] = [];
  for (let i = 0; i < ts.t.length; i++) out.push(s.push(ts.t[i], ts.v[i]));
  return out;
}

export function sameResults(a: StreamResult[], b: StreamResult[], what: string): void {
  if (a.length !== b.length) fail(`${what}: ${a.length} and ${b.length} results`);
  for (let i = 0; i < a.length; i++) sameResult(a[i], b[i], `${what} [${i}]`);
}

/** A JSON round trip of a model file, as a service would store it. */
export function roundTrip(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json));
}

/** Freezes a JSON value and everything in it (a loader that writes into its input then throws). */
export function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/**
 * `json` with the value at `path` replaced, copying only the containers on the path (the rest is
 * shared, so keep `json` frozen). `path` must be non-empty and lead through containers of `json`.
 */
export function withValueAt(json: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = (x: unknown): Record<string | number, unknown> =>
    (Array.isArray(x) ? x.slice() : { ...(x as object) }) as Record<string | number, unknown>;
  const root = copy(json);
  let o = root;
  for (const k of path.slice(0, -1)) {
    const c = copy(o[k]);
    o[k] = c;
    o = c;
  }
  // defineProperty, not assignment: the key may be `__proto__`
  Object.defineProperty(o, path[path.length - 1], {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return root;
}

export function plainThreshold(almThreshold: number): Record<string, unknown> {
  return { threshold: { type: 'threshold', almThreshold, absScore: true } };
}

export function defaultTrainScores(d: Detector): TimeSeries | null | undefined {
  return (d as { trainScores?: TimeSeries | null }).trainScores;
}

export function lowerBoundOf(a: ArrayLike<number>, x: number): number {
  let i = 0;
  while (i < a.length && a[i] < x) i++;
  return i;
}

/**
 * Revised point-adjusted F1 on one grid, written out for the kit (independent of tsad's metrics):
 * each run of labelled points is one true positive if any of its points is flagged, else one false
 * negative; each flagged unlabelled point is a false positive.
 */
export function segmentF1(labels: ArrayLike<number>, flagged: Uint8Array): number {
  let tp = 0;
  let fn = 0;
  let fp = 0;
  for (let i = 0; i < labels.length; ) {
    if (labels[i] === 0) {
      fp += flagged[i];
      i++;
      continue;
    }
    let any = 0;
    while (i < labels.length && labels[i] !== 0) any |= flagged[i++];
    if (any) tp++;
    else fn++;
  }
  const p = tp + fp === 0 ? 0 : tp / (tp + fp);
  const r = tp + fn === 0 ? 0 : tp / (tp + fn);
  return p === 0 || r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** What every group of clauses shares: the data, the factories and the clause list. */
export interface KitContext {
  readonly options: KitOptions;
  readonly numRuns: number;
  readonly fuzzRuns: number;
  readonly load: (json: unknown) => Detector;
  readonly factory: KitSpec['make'];
  readonly train: TimeSeries;
  readonly test: TimeSeries;
  /** One trained detector shared by the clauses that only read it (scoring is pure). */
  readonly shared: () => Detector;
  /** A detector trained on `train`, config overrides `over`. */
  readonly trained: (over?: Record<string, unknown>) => Detector;
  /** `n` synthetic points after the test part. */
  readonly more: (n: number, seed: number) => TimeSeries;
  /** Adds a clause. */
  readonly clause: (name: string, run: () => void) => void;
}
