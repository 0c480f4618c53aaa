import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mlmodelDoc, mlmodelText, mlmodelYaml } from '../../src/internal.js';

/** The YAML library reads the text back: an independent parser, the oracle of the hand-written writer. */
const readBack = (text: string): unknown => parse(text, { maxAliasCount: 10 });

describe('MLmodel files (hand-written YAML writer)', () => {
  it("hand-checked: tsad's MLmodel, plain where plain is safe, quoted otherwise", () => {
    const text = mlmodelText({
      artifactPath: 'model',
      runId: '3c5871b8a5f7415c86813bb6a5ffc479',
      modelType: 'Ensemble',
      format: 'tsad-model',
      formatVersion: 1,
      createdAt: new Date(Date.UTC(2026, 11, 5, 3, 14, 12, 742)),
      modelId: 'm-e9c48d3fd9d6420abff6f8ae945aea7e',
    });
    expect(text).toBe(
      [
        'artifact_path: model',
        'flavors:',
        '  tsad:',
        '    data: model.json',
        '    model_format: tsad-model',
        '    format_version: 1',
        '    model_type: Ensemble',
        `    loader: 'tsad (npm): openTracker(uri).loadModel("runs:/<run_id>/<artifact_path>")'`,
        'model_id: m-e9c48d3fd9d6420abff6f8ae945aea7e',
        'model_uuid: m-e9c48d3fd9d6420abff6f8ae945aea7e',
        'run_id: 3c5871b8a5f7415c86813bb6a5ffc479',
        // quoted, as MLflow writes it: a YAML 1.1 reader (PyYAML) would read it as a datetime
        "utc_time_created: '2026-12-05 03:14:12.742000'",
        '',
      ].join('\n'),
    );
  });

  it('property: any strings and numbers read back as the same document', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        ...[
          'true',
          'no',
          'Y',
          '~',
          'null',
          '1e5',
          '1e-5',
          '-.5',
          '.inf',
          '.NaN',
          '0x1F',
          '0o17',
          '0b101',
          '1_000',
        ],
        ...['0.', '.5', '2026-12-05', '123e4567', '- a', "it's", '#x', '', ' a', 'a ', 'a: b', 'a #b'],
      ),
      fc.stringMatching(/^[A-Za-z0-9_./:-]{1,12}$/),
    );
    const value = fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
    fc.assert(
      fc.property(text, text, text, value, text, (artifactPath, runId, modelType, formatVersion, format) => {
        const doc = mlmodelDoc({
          artifactPath,
          runId,
          modelType,
          format,
          formatVersion,
          modelId: runId || 'x',
        });
        expect(readBack(mlmodelYaml(doc))).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: 500 },
    );
  });

  it("property: MLflow's own reader (PyYAML's safe_load, as mlflow.models.Model.load) reads the same document", () => {
    // YAML 1.1, unlike the YAML library above, reads a float only with a '.' and a signed exponent
    // (`1e-7` and `1e+21` are strings to it)
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.stringMatching(/^[A-Za-z0-9_./:+ -]{1,12}$/));
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(1e-7, -2.5e-12, 1e21, 5e-324, 1.7976931348623157e308, 123456789012345680000),
      fc.integer(),
    );
    const docs = fc
      .sample(
        fc.record({
          artifactPath: text,
          runId: text,
          modelType: text,
          format: text,
          formatVersion: fc.oneof(text, num),
        }),
        { numRuns: 400, seed: 42 },
      )
      .map((m) => mlmodelDoc({ ...m, modelId: 'm' }));
    const read = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import json, sys, yaml; print(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))'],
      { input: JSON.stringify(docs.map(mlmodelYaml)), encoding: 'utf8' },
    );
    expect(JSON.parse(read)).toEqual(JSON.parse(JSON.stringify(docs)));
  });

  it('rejects what it cannot write: a key that is not a plain word, a non-finite number', () => {
    expect(() => mlmodelYaml({ 'a b': 1 })).toThrow(/not a plain word/);
    expect(() => mlmodelYaml({ a: Number.POSITIVE_INFINITY })).toThrow(/not finite/);
  });
});
