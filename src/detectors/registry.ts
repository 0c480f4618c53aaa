import { ModelFormatError, TsadError } from '../errors.js';
import { parseModelEnvelope } from './model.js';
import type { Detector } from './types.js';

/** Builds a detector from a model file's (untrusted) config and state. */
export type DetectorLoader = (config: unknown, state: unknown) => Detector;

const loaders = new Map<string, DetectorLoader>();

/** Registers the loader for a detector type (each detector module does this when imported). */
export function registerDetector(type: string, loader: DetectorLoader): void {
  loaders.set(type, loader);
}

/** Registered detector types. */
export function registeredTypes(): string[] {
  return [...loaders.keys()].sort();
}

/**
 * Loads a model file (`toJSON()` output, as an object or JSON string). Validates the envelope
 * and the data (plain JSON only, no prototype keys), then dispatches to the type's loader. Never
 * evaluates code. Every failure is a TsadError (ModelFormatError for bad files).
 */
export function loadModel(json: unknown): Detector {
  const env = parseModelEnvelope(json);
  const loader = loaders.get(env.type);
  if (!loader) {
    throw new ModelFormatError(
      'unknown_type',
      `model type "${env.type}" is not registered (known: ${registeredTypes().join(', ') || 'none'}); import its module first`,
    );
  }
  try {
    return loader(env.config, env.state);
  } catch (e) {
    if (e instanceof TsadError) throw e;
    throw new ModelFormatError(
      'bad_state',
      `model file state is inconsistent: ${(e as Error)?.message ?? String(e)}`,
      {
        cause: e,
      },
    );
  }
}
