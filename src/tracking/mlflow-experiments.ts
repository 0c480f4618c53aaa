/**
 * MLflow experiments: looked up by name (with the file store's quote workaround), created with a
 * race-tolerant create, listed, and cached by id and name (deleted ones remembered as deleted).
 */
import { TrackingError } from '../errors.js';
import { MlflowApiError, type MlflowHttp } from './mlflow-http.js';
import { parseWire, parseWireList, type WireExperiment, wireExperimentSchema } from './mlflow-schemas.js';
import { int } from './mlflow-wire.js';
import { type Experiment, TrackingNotFoundError, TrackingValidationError } from './tracker.js';

export class MlflowExperiments {
  private readonly byId = new Map<string, Experiment>();
  private readonly byName = new Map<string, Experiment>();
  private readonly deleted = new Set<string>();
  /** Lookups (and creates) in flight by name: a second caller waits for the first, never sends its own. */
  private readonly pending = new Map<string, Promise<Experiment>>();

  constructor(private readonly http: MlflowHttp) {}

  /** Caches an experiment record (already parsed) and returns it. */
  private remember(e: WireExperiment): Experiment {
    const exp: Experiment = {
      experimentId: e.experiment_id,
      name: e.name,
      creationTime: int(e.creation_time),
    };
    if (e.lifecycle_stage === 'deleted') {
      this.deleted.add(exp.experimentId);
      return exp;
    }
    this.deleted.delete(exp.experimentId);
    this.byId.set(exp.experimentId, exp);
    this.byName.set(exp.name, exp);
    return exp;
  }

  async get(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.http.call('GET', 'experiments/get-by-name', { experiment_name: name });
      return this.remember(parseWire(wireExperimentSchema, r.experiment, 'experiments/get-by-name'));
    } catch (err) {
      if (err instanceof TrackingNotFoundError) return undefined;
      // MLflow's file store looks names up through a filter string, which a name holding a quote
      // breaks (INVALID_PARAMETER_VALUE): list the experiments and compare names here instead.
      if (err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE' && /['"]/.test(name)) {
        return (await this.searchExperiments('ALL')).find((e) => e.name === name);
      }
      throw err;
    }
  }

  /**
   * The experiment of that name, created if there is none. Calls for one name share one lookup: two
   * lookups in flight could both miss and both create, and MLflow's file store then keeps two
   * experiments of that name (its create checks the name and writes without a lock), which left a run
   * in the one a reader by name does not pick (CI68, `tsad nab machine-temperature`'s early lookup
   * beside its run's).
   */
  getOrCreate(name: string): Promise<Experiment> {
    const cached = this.byName.get(name);
    if (cached) return Promise.resolve(cached);
    let p = this.pending.get(name);
    if (p === undefined) {
      p = this.lookUpOrCreate(name).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  private async lookUpOrCreate(name: string): Promise<Experiment> {
    const found = await this.get(name);
    if (found) {
      if (this.deleted.has(found.experimentId)) {
        throw new TrackingError(
          'mlflow_experiment_deleted',
          `MLflow experiment "${name}" (id ${found.experimentId}) is deleted; restore it (mlflow experiments restore --experiment-id ${found.experimentId}) or use another name`,
        );
      }
      return found;
    }
    try {
      await this.http.call('POST', 'experiments/create', { name }, { idempotent: true });
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE' && /['"]/.test(name)) {
        throw new TrackingValidationError(
          'mlflow_unsupported_name',
          `this MLflow server cannot create experiment ${JSON.stringify(name)}: its file store looks names up through a filter string that a quote breaks; use a name without quotes, or a server with a database backend`,
          { cause: err },
        );
      }
      // Another client created it between our get and create: read it again.
      if (!(err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    const exp = await this.get(name);
    if (!exp)
      throw new TrackingNotFoundError(`MLflow experiment "${name}" vanished right after it was created`);
    return exp;
  }

  async list(): Promise<Experiment[]> {
    return (await this.searchExperiments('ACTIVE_ONLY')).filter((e) => !this.deleted.has(e.experimentId));
  }

  private async searchExperiments(view: 'ACTIVE_ONLY' | 'ALL'): Promise<Experiment[]> {
    const out: Experiment[] = [];
    await this.http.pages('experiments/search', { max_results: 1000, view_type: view }, (r) => {
      for (const e of parseWireList<WireExperiment>(
        wireExperimentSchema,
        r,
        'experiments',
        'experiments/search',
      )) {
        out.push(this.remember(e));
      }
    });
    return out;
  }

  async nameOf(id: string): Promise<string> {
    const c = this.byId.get(id);
    if (c) return c.name;
    const r = await this.http.call('GET', 'experiments/get', { experiment_id: id });
    return this.remember(parseWire(wireExperimentSchema, r.experiment, 'experiments/get')).name;
  }

  /** Forgets the caches (on close). */
  clear(): void {
    this.byId.clear();
    this.byName.clear();
  }
}
