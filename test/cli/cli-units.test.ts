import { CommanderError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { userCacheDir } from '../../src/datasets/index.js';
import { DEFAULT_ALARM_RULE, forestWorkerStatus, stopForestWorker } from '../../src/detectors/index.js';
import {
  ConfigError,
  DatasetError,
  defaultDetector,
  ModelFormatError,
  SeriesError,
  TrackingError,
  TrackingNotFoundError,
  ZmsDetector,
} from '../../src/index.js';
import {
  alarmExceedances,
  CORPUS_RECIPE_NAMES,
  DETECTOR_RECIPES,
  dropEarlyBatchWorker,
  EXIT,
  earlyBatchWorkerWaiting,
  exitCodeOf,
  LOCATE_ONLY_NAMES,
  MAIN_RECIPE_NAMES,
  NabRunError,
  RECIPE_HELP,
  RECIPE_NAMES,
  registerNab,
  runNabCorpus,
  singlePointLabelWarning,
} from '../../src/internal.js';
import { LOCATE_RECIPES } from '../../src/lab/index.js';
import { LifecycleError, loadSeriesSql } from '../../src/lifecycle/index.js';
import { formatDuration, formatNumber } from '../../src/report/index.js';
import { ServeError } from '../../src/serve/index.js';
import { runCli } from '../helpers/cli.js';

describe('tsad command line pieces', () => {
  it('lists the same recipes as the experiments layer (help texts load no detector)', () => {
    expect([...RECIPE_NAMES]).toEqual(Object.keys(DETECTOR_RECIPES));
    for (const r of CORPUS_RECIPE_NAMES) expect(DETECTOR_RECIPES[r], r).toBeDefined();
    expect([...LOCATE_ONLY_NAMES]).toEqual(Object.keys(LOCATE_RECIPES));
    for (const r of LOCATE_ONLY_NAMES) expect(DETECTOR_RECIPES[r as string], r).toBeUndefined();
  });

  it('names the main recipes in help texts and counts the lab ones', () => {
    for (const r of MAIN_RECIPE_NAMES) expect(DETECTOR_RECIPES[r], r).toBeDefined();
    for (const r of CORPUS_RECIPE_NAMES.filter((n) => n !== 'zmsLikelihood')) {
      expect(MAIN_RECIPE_NAMES as readonly string[], r).toContain(r);
    }
    expect(RECIPE_HELP).toContain(`one of ${RECIPE_NAMES.length - MAIN_RECIPE_NAMES.length} lab recipes`);
    expect(RECIPE_HELP).not.toContain('shapePeriodic20L35');
  });

  it('maps error classes to exit codes', () => {
    expect(exitCodeOf(new ConfigError('bad_config', 'y'))).toBe(EXIT.usage);
    expect(exitCodeOf(new SeriesError('bad_input', 'y'))).toBe(EXIT.data);
    expect(exitCodeOf(new DatasetError('unknown_file', 'y'))).toBe(EXIT.data);
    expect(exitCodeOf(new ModelFormatError('bad_field', 'y'))).toBe(EXIT.model);
    expect(exitCodeOf(new TrackingError('backend', 'y'))).toBe(EXIT.tracking);
    expect(exitCodeOf(new TrackingNotFoundError('y'))).toBe(EXIT.tracking); // a subclass maps like its base
    // `tsad serve --group bad`: a bad option value (usage, 2, as docs/cli.md says); other serve errors 6
    expect(exitCodeOf(new LifecycleError('bad_option', 'y'))).toBe(EXIT.usage);
    expect(exitCodeOf(new LifecycleError('no_previous', 'y'))).toBe(EXIT.tracking);
    // a database (--data, --pg) that cannot be reached or refuses: a server, as the tracking store (audit43)
    expect(exitCodeOf(new LifecycleError('db_unreachable', 'y'))).toBe(EXIT.tracking);
    expect(exitCodeOf(new LifecycleError('db_error', 'y'))).toBe(EXIT.tracking);
    expect(exitCodeOf(new LifecycleError('db_lock_timeout', 'y'))).toBe(EXIT.tracking);
    // a sample that cannot be used (NaN or infinite time or value, a repeated time) is bad data (fix44)
    expect(exitCodeOf(new LifecycleError('bad_sample', 'y'))).toBe(EXIT.data);
    expect(exitCodeOf(new ServeError('bad_group', 'y'))).toBe(EXIT.usage);
    expect(exitCodeOf(new ServeError('listen_failed', 'y'))).toBe(EXIT.serve);
    expect(exitCodeOf(new CommanderError(1, 'commander.unknownOption', 'bad'))).toBe(EXIT.usage);
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', ''))).toBe(EXIT.ok);
    expect(exitCodeOf(new TypeError('bug'))).toBe(EXIT.internal);
    // `tsad nab run -d nosuch` / a bad worker count are `ConfigError`s, as in `tsad bench` (usage, 2;
    // test/cli/robustness.test.ts); the one code left to NabRunError, a dead worker, is internal
    expect(exitCodeOf(new NabRunError('worker_exit', 'y'))).toBe(EXIT.internal);
  });

  it("loadSeriesSql's refusal of a NaN or infinite time or value exits 3 (bad data), before any connection", async () => {
    // port 1 answers nothing: the refusal comes before the database is asked
    for (const rows of [
      { t: [1, Number.NaN], v: [1, 2] },
      { t: [1, 2], v: [1, Number.POSITIVE_INFINITY] },
    ]) {
      const err = await loadSeriesSql('postgres://u@127.0.0.1:1/none', 'series', rows).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LifecycleError', code: 'bad_sample' });
      expect(String((err as Error).message)).toMatch(/at row 1 is (NaN|Infinity)/);
      expect(exitCodeOf(err)).toBe(EXIT.data);
    }
  });

  it('runNabCorpus refuses an unknown recipe and a worker count below 1 as tsad bench does: ConfigError', async () => {
    // both are checked before any NAB file is read or downloaded
    const bad = (o: Parameters<typeof runNabCorpus>[0]) => runNabCorpus({ trackingUri: false, ...o });
    await expect(bad({ detectors: ['nosuch'] })).rejects.toMatchObject({
      name: 'ConfigError',
      code: 'unknown_detector',
    });
    await expect(bad({ detectors: ['zms'], workers: 0 })).rejects.toMatchObject({
      name: 'ConfigError',
      code: 'bad_workers',
    });
  });

  it('nab machine-temperature -d nosuch: unknown_detector before the forest worker starts or the experiment loads (fix29)', async () => {
    // the user saw the same error only after a second thread had booted and the experiment's modules
    // (the whole table of recipes for a name other than default) had loaded; now the name is checked first
    await stopForestWorker();
    try {
      const err = await runCli(
        [registerNab],
        ['nab', 'machine-temperature', '-d', 'nosuch', '--no-track', '--no-report', '--threads', '2'],
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ code: 'unknown_detector' });
      expect((err as Error).message).toMatch(
        /^unknown detector "nosuch"; choose from default, isolationForest, /,
      );
      expect(forestWorkerStatus().started).toBe(false);
      expect(earlyBatchWorkerWaiting()).toBe(false);
    } finally {
      await dropEarlyBatchWorker();
      await stopForestWorker();
    }
  });

  it('rounds numbers for people and keeps integers', () => {
    expect(formatNumber(113.8123)).toBe('113.8');
    expect(formatNumber(84.5612)).toBe('84.56');
    expect(formatNumber(-3.23711)).toBe('-3.237');
    expect(formatNumber(22683)).toBe('22683');
    expect(formatNumber(0.000012345)).toBe('1.234e-5');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    fc.assert(
      fc.property(fc.double({ min: -1e8, max: 1e8, noNaN: true }), (x) => {
        const back = Number(formatNumber(x));
        return Math.abs(back - x) <= Math.abs(x) * 1e-3 + 1e-4;
      }),
    );
  });

  it('writes durations in one format', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(12 * 60)).toBe('12 min');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 05 min');
    expect(formatDuration(16 * 3600 + 22 * 60 + 2 * 86400)).toBe('2 d 16 h 22 min');
    expect(formatDuration(-600)).toBe('−10 min');
  });

  it('warns when single-point labels meet an alarm rule needing more than one exceedance', () => {
    const det = defaultDetector();
    const config = det.toJSON().config;
    expect(alarmExceedances(config)).toBe(DEFAULT_ALARM_RULE.minAlmInWindow);
    expect(singlePointLabelWarning([0, 1, 0, 0, 1, 0], config)).toMatch(
      /all 2 labelled anomalies are single points.*needs 2 exceedances/,
    );
    expect(singlePointLabelWarning([0, 1, 1, 0, 1, 0], config)).toBeUndefined(); // a window of two points
    expect(singlePointLabelWarning([0, 0, 0], config)).toBeUndefined();
    expect(
      singlePointLabelWarning(
        [0, 1, 0],
        defaultDetector({ threshold: { minAlmInWindow: 1 } }).toJSON().config,
      ),
    ).toBeUndefined();
    expect(singlePointLabelWarning([0, 1, 0], new ZmsDetector({}).toJSON().config)).toMatch(
      /needs 2 exceedances/,
    ); // ZMS's default rule too
  });

  it('puts the download cache in the user cache folder, never in the package', () => {
    expect(userCacheDir({ TSAD_CACHE_DIR: '/tmp/c' })).toBe('/tmp/c');
    expect(userCacheDir({ XDG_CACHE_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/tsad');
    expect(userCacheDir({ XDG_CACHE_HOME: 'relative' })).not.toContain('relative'); // XDG: relative paths are ignored
    expect(userCacheDir({})).not.toContain('node_modules');
  });
});
