/**
 * `streamOnce`: a stream for an internal runner that trains a detector, streams it once and drops it
 * (the NAB corpus files, locate mode). `stream()` works on a copy of the trained detector, so such a
 * runner held two models per file, and a Random Cut Forest's copy is a WebAssembly memory that V8 frees
 * only at a full collection, which a corpus run never asks for (docs/evaluation.md, "Corpus peak memory
 * (rss42)"). Here the stream takes the detector's own state instead, and the detector refuses every
 * later call (a DetectorError `internal`: only tsad's own code can get there). Internal: no entry point
 * exports it, and the public `stream()` is unchanged.
 */
import { BaseDetector, streamOwnState } from './base.js';
import type { Detector, StreamOptions, StreamScorer } from './types.js';

/**
 * The method key of a detector that wraps others (the lab's detectors) and can stream once on their
 * own states: it calls `streamOnce` on what it wraps. A symbol, so that no public type shows it.
 */
export const STREAM_ONCE: unique symbol = Symbol('tsad.streamOnce');

/** A detector with a `STREAM_ONCE` method (see there). */
export interface StreamsOnce {
  [STREAM_ONCE](opts?: StreamOptions): StreamScorer;
}

function streamsOnce(d: Detector): d is Detector & StreamsOnce {
  return typeof (d as Partial<StreamsOnce>)[STREAM_ONCE] === 'function';
}

/**
 * The numbers of `d.stream(opts)`, on `d`'s own state: tsad's detectors (ensembles and their members
 * included) and the lab's wrappers are not copied and refuse later use; any other detector (a
 * third-party one) is streamed through its public `stream()` and stays as it was. The caller must own
 * `d` and drop it after the stream.
 */
export function streamOnce(d: Detector, opts: StreamOptions = {}): StreamScorer {
  if (d instanceof BaseDetector) return streamOwnState(d, opts);
  if (streamsOnce(d)) return d[STREAM_ONCE](opts);
  return d.stream(opts);
}
