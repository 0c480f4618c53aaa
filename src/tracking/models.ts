/**
 * Model URIs (`models:/`, `runs:/`), MLflow Model directories (`MLmodel`), the injected model
 * loader, and version/alias resolution, written once for every backend.
 */
import { randomUUID } from 'node:crypto';
import { TrackingError } from '../errors.js';
import { type LoggableModel, type ModelVersion, TrackingNotFoundError } from './tracker.js';
import {
  invalid,
  validateAlias,
  validateArtifactPath,
  validateModelName,
  validateRunId,
  validateVersion,
} from './validate.js';

// ---------------------------------------------------------------------------------------------
// Model URIs and the model loader
// ---------------------------------------------------------------------------------------------

export type ModelUri =
  | { kind: 'registry'; name: string; version: number; alias?: undefined }
  | { kind: 'registry'; name: string; alias: string; version?: undefined }
  | { kind: 'run'; runId: string; path: string };

/**
 * Parses `models:/name@alias`, `models:/name/3`, `models:/name/latest` and
 * `runs:/<runId>/<artifact path>` (a directory holding model.json, or a .json file).
 */
export function parseModelUri(uri: string): ModelUri {
  const bad = () =>
    invalid(
      'invalid_model_uri',
      `model URI ${JSON.stringify(uri)} must be models:/<name>@<alias>, models:/<name>/<version> or runs:/<runId>/<path>`,
    );
  if (typeof uri !== 'string') throw bad();
  if (uri.startsWith('models:/')) {
    const rest = uri.slice('models:/'.length);
    const at = rest.lastIndexOf('@');
    if (at > 0) {
      return {
        kind: 'registry',
        name: validateModelName(rest.slice(0, at)),
        alias: validateAlias(rest.slice(at + 1), false),
      };
    }
    const slash = rest.lastIndexOf('/');
    if (slash <= 0) throw bad();
    const name = validateModelName(rest.slice(0, slash));
    const ver = rest.slice(slash + 1);
    if (ver.toLowerCase() === 'latest') return { kind: 'registry', name, alias: 'latest' };
    if (!/^[1-9]\d*$/.test(ver)) throw bad();
    return { kind: 'registry', name, version: Number(ver) };
  }
  if (uri.startsWith('runs:/')) {
    const rest = uri.slice('runs:/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) throw bad();
    return {
      kind: 'run',
      runId: validateRunId(rest.slice(0, slash)),
      path: validateArtifactPath(rest.slice(slash + 1)),
    };
  }
  throw bad();
}

/** The artifact file holding the model JSON under an artifact path. */
export function modelJsonPath(artifactPath: string): string {
  return artifactPath.endsWith('.json') ? artifactPath : `${artifactPath}/model.json`;
}

// ---------------------------------------------------------------------------------------------
// MLflow Model directories
// ---------------------------------------------------------------------------------------------

/** The file naming an MLflow Model directory's flavors. */
export const MLMODEL_FILE = 'MLmodel';
/** The tsad flavor's data file inside a model directory. */
export const MODEL_DATA_FILE = 'model.json';

export interface MlmodelInfo {
  /** The artifact path of the directory inside the run (`model`). */
  artifactPath: string;
  runId: string;
  /** The MLflow 3 logged model id, when the backend has logged models. */
  modelId?: string;
  /** `type` of the tsad model (`zms`, `rcf`, ...). */
  modelType: string;
  /** `format` and `version` of the model JSON. */
  format: string;
  formatVersion: number | string;
  createdAt?: Date;
}

function utcCreated(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/**
 * The `MLmodel` document of a tsad model directory: MLflow's model metadata with one `tsad` flavor
 * naming the data file, its format and version, and how to load it (tsad's `Tracker.loadModel`).
 */
export function mlmodelDoc(m: MlmodelInfo): MlmodelDoc {
  return {
    artifact_path: m.artifactPath,
    flavors: {
      tsad: {
        data: MODEL_DATA_FILE,
        model_format: m.format,
        format_version: m.formatVersion,
        model_type: m.modelType,
        loader: 'tsad (npm): openTracker(uri).loadModel("runs:/<run_id>/<artifact_path>")',
      },
    },
    ...(m.modelId ? { model_id: m.modelId } : {}),
    model_uuid: m.modelId ?? randomUUID().replace(/-/g, ''),
    run_id: m.runId,
    utc_time_created: utcCreated(m.createdAt ?? new Date()),
  };
}

/** An `MLmodel` document as tsad writes it: nested maps of strings and numbers. */
export interface MlmodelDoc {
  readonly [key: string]: string | number | MlmodelDoc;
}

/** The `MLmodel` file of a tsad model directory (YAML; see `mlmodelDoc`). */
export function mlmodelText(m: MlmodelInfo): string {
  return mlmodelYaml(mlmodelDoc(m));
}

/** The YAML text of an `MLmodel` document. */
export function mlmodelYaml(doc: MlmodelDoc): string {
  return yamlBlock(doc, '');
}

/**
 * YAML text of a document of nested maps whose keys are plain words and whose values are strings
 * or finite numbers, in block style. Hand-written for this one fixed shape: the YAML library
 * (about 250 KB of code) took ≈ 8–10 ms to load and run once, a fifth of the tracking stage of
 * `tsad nab machine-temperature`; models are still read with it (`tsadFlavorData`), and a test
 * checks that it parses this text back to the document.
 */
function yamlBlock(doc: MlmodelDoc, indent: string): string {
  let out = '';
  for (const [k, v] of Object.entries(doc)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new TrackingError(
        'invalid_mlmodel',
        `MLmodel key "${k}" is not a plain word (letters, digits, _)`,
      );
    if (typeof v === 'object') out += `${indent}${k}:\n${yamlBlock(v, `${indent}  `)}`;
    else out += `${indent}${k}: ${yamlScalar(v)}\n`;
  }
  return out;
}

/** Characters YAML does not print as they are (JavaScript strings are UTF-16). */
const NON_PRINTABLE_SRC =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ufeff\\ufffe\\uffff]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const NON_PRINTABLE = new RegExp(NON_PRINTABLE_SRC);
const NON_PRINTABLE_ALL = new RegExp(NON_PRINTABLE_SRC, 'g');

/**
 * Words a YAML 1.1 or 1.2 reader takes for something other than a string: integers (binary, octal,
 * hex, decimal, `_` separators), floats, infinities and NaN, dates, booleans, null.
 */
const READS_AS_OTHER =
  /^(0b[01_]+|0o?[0-7_]+|0x[0-9a-f_]+|[0-9][0-9_]*|(\.[0-9_]+|[0-9][0-9_]*(\.[0-9_]*)?)(e[-+]?[0-9]+)?|\.(inf|nan)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|true|false|yes|no|on|off|y|n|null|~)$/i;

/**
 * A YAML scalar that reads back as the same value: a finite number as it prints (an exponent form
 * with a `.`, for YAML 1.1 readers); a string plain when it is made of characters that cannot start
 * or change a YAML token and does not read as anything else (`READS_AS_OTHER`), else single-quoted,
 * or double-quoted (JSON escapes, which YAML shares) when it holds a character YAML does not print.
 */
function yamlScalar(v: string | number): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TrackingError('invalid_mlmodel', `MLmodel value ${v} is not finite`);
    // a YAML 1.1 reader (PyYAML, MLflow's) reads an exponent form as a float only with a '.' in
    // the mantissa (`1e-7` is a string to it, `1.0e-7` a float); JavaScript's exponent is signed
    const s = String(v);
    const e = s.indexOf('e');
    return e < 0 || s.includes('.') ? s : `${s.slice(0, e)}.0${s.slice(e)}`;
  }
  if (/^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/.test(v) && !READS_AS_OTHER.test(v)) return v;
  // characters YAML does not print (controls, separators it folds, non-characters, lone
  // surrogates) go escaped in double quotes; JSON's escapes are YAML's
  if (NON_PRINTABLE.test(v)) {
    return JSON.stringify(v).replace(
      NON_PRINTABLE_ALL,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return `'${v.replace(/'/g, "''")}'`;
}

type YamlModule = Pick<typeof import('yaml'), 'parse'>;

/** The data file the `tsad` flavor of an `MLmodel` names (relative to the model directory). */
export async function tsadFlavorData(text: string, where: string): Promise<string> {
  // the YAML library loads only when a model is read (writing needs none: see yamlBlock); `yaml`
  // is CommonJS, whose exports a bundle's import() (the CLI's) gives as `default` only
  const yaml: YamlModule & { default?: YamlModule } = await import('yaml');
  const parseYaml = typeof yaml.parse === 'function' ? yaml.parse : (yaml.default as YamlModule).parse;
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 10 });
  } catch (err) {
    throw new TrackingError('invalid_mlmodel', `${where} is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const flavors = (doc as { flavors?: unknown } | null)?.flavors;
  const tsad =
    typeof flavors === 'object' && flavors !== null ? (flavors as { tsad?: unknown }).tsad : undefined;
  if (typeof tsad !== 'object' || tsad === null) {
    const names = typeof flavors === 'object' && flavors !== null ? Object.keys(flavors).join(', ') : 'none';
    throw new TrackingError(
      'not_a_tsad_model',
      `${where} has no "tsad" flavor (flavors: ${names}); tsad loads only models it logged with run.logModel`,
    );
  }
  const data = (tsad as { data?: unknown }).data;
  return validateArtifactPath(typeof data === 'string' ? data : MODEL_DATA_FILE);
}

export type ModelLoader = (json: unknown) => unknown;

let modelLoader: ModelLoader | undefined;

/** Installs the function that turns model JSON into a model (tsad wires its `loadModel` here). */
export function setModelLoader(fn: ModelLoader | undefined): void {
  modelLoader = fn;
}

export function getModelLoader(): ModelLoader | undefined {
  return modelLoader;
}

function isLoggableModel(x: unknown): x is LoggableModel {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; config?: unknown; toJSON?: unknown };
  return typeof m.type === 'string' && typeof m.config === 'object' && typeof m.toJSON === 'function';
}

/** Applies the installed loader (whose own typed errors, e.g. ModelFormatError, propagate). */
export function instantiateModel(json: unknown, uri: string): LoggableModel {
  const loader = modelLoader;
  if (!loader) {
    throw new TrackingError(
      'no_model_loader',
      `cannot load ${uri}: no model loader is installed; import tsad from its main entry (which installs loadModel) or call setModelLoader(loadModel)`,
    );
  }
  const model = loader(json);
  if (!isLoggableModel(model)) {
    throw new TrackingError(
      'bad_model_loader',
      `the model loader returned something without type, config and toJSON()`,
    );
  }
  return model;
}

export function parseModelJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TrackingError('invalid_model_json', `${where} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** `not_found` for a model that is not registered: the same words on every backend. */
export function missingModel(name: string, cause?: unknown): TrackingNotFoundError {
  return new TrackingNotFoundError(
    `no registered model named "${name}"; register one with registerModel (on the command line: tsad train --register NAME)`,
    cause === undefined ? undefined : { cause },
  );
}

/** The highest version, or the alias target; throws TrackingNotFoundError. */
export function resolveAlias(
  name: string,
  alias: string,
  aliases: Readonly<Record<string, number>>,
  latestVersion: number | null,
): number {
  if (alias.toLowerCase() === 'latest') {
    if (latestVersion === null) throw new TrackingNotFoundError(`model "${name}" has no versions yet`);
    return latestVersion;
  }
  const m = /^v(\d+)$/i.exec(alias);
  if (m) return Number(m[1]);
  const v = Object.hasOwn(aliases, alias) ? aliases[alias] : undefined;
  if (v === undefined) throw new TrackingNotFoundError(`model "${name}" has no alias "${alias}"`);
  return v;
}

/** Resolves `versionOrAlias` for backends: a number, a numeric string, `latest`, `v<n>` or an alias. */
export function resolveVersionArg(
  name: string,
  versionOrAlias: number | string,
  aliases: Readonly<Record<string, number>>,
  latestVersion: number | null,
): number {
  if (typeof versionOrAlias === 'number') return versionOrAlias;
  if (/^[1-9]\d*$/.test(versionOrAlias)) return Number(versionOrAlias);
  return resolveAlias(name, versionOrAlias, aliases, latestVersion);
}

/**
 * Checks a `getModelVersion` argument (the core does, before a store resolves it): a version
 * number, a version in digits, or an alias (`latest` and `v<n>` included).
 */
export function validateVersionArg(versionOrAlias: unknown): number | string {
  if (typeof versionOrAlias === 'number') return validateVersion(versionOrAlias);
  if (typeof versionOrAlias === 'string' && /^[1-9]\d*$/.test(versionOrAlias)) return versionOrAlias;
  return validateAlias(versionOrAlias, false);
}

/** The stored facts of one model version. */
export interface VersionFacts {
  readonly name: string;
  readonly version: number;
  readonly runId: string;
  readonly artifactPath: string;
  readonly creationTime: number;
}

/**
 * A `ModelVersion` record, built here only: its `source` URI, and its aliases (given as the
 * model's alias → version map, or as the names pointing at this version), sorted.
 */
export function modelVersion(
  v: VersionFacts,
  aliases: Readonly<Record<string, number>> | readonly string[],
): ModelVersion {
  const names = Array.isArray(aliases)
    ? [...(aliases as readonly string[])]
    : Object.entries(aliases as Readonly<Record<string, number>>)
        .filter(([, n]) => n === v.version)
        .map(([a]) => a);
  return {
    name: v.name,
    version: v.version,
    runId: v.runId,
    artifactPath: v.artifactPath,
    source: `runs:/${v.runId}/${v.artifactPath}`,
    creationTime: v.creationTime,
    aliases: names.sort(),
  };
}
