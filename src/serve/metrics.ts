/** The service's Prometheus metrics (prom-client, one registry per service instance). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ServeMetrics {
  readonly registry = new Registry();
  readonly points = this.counter('tsad_points_scored_total', 'Points scored');
  readonly alarms = this.counter('tsad_alarms_total', 'Alarms raised');
  readonly latency = new Histogram({
    name: 'tsad_request_duration_seconds',
    help: 'Request latency by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly liveSeries = this.gauge('tsad_live_series', 'Series held in memory');
  readonly reloads = this.counter(
    'tsad_model_reloads_total',
    'Model versions loaded after an alias moved (or at start)',
  );
  readonly reloadErrors = this.counter(
    'tsad_model_reload_errors_total',
    'Registry checks that failed (the service keeps its models)',
  );
  readonly checkpoints = this.counter('tsad_checkpoints_total', 'Series checkpoints written');
  readonly checkpointFailures = this.counter(
    'tsad_checkpoint_failures_total',
    'Series checkpoint writes that failed (the series keeps its state in memory; the error is logged)',
  );
  readonly releaseFailures = this.counter(
    'tsad_stream_release_failures_total',
    'Streams whose release() threw or rejected when the service dropped them (the series is unaffected; the error is logged)',
  );
  readonly evictions = this.counter('tsad_evictions_total', 'Series evicted from memory (LRU)');
  readonly forestEvictions = this.counter(
    'tsad_forest_limit_evictions_total',
    "Series evicted (LRU, checkpointed) to make room for a series whose Random Cut Forest's WebAssembly memory could not be reserved",
  );
  readonly forestRefusals = this.counter(
    'tsad_forest_limit_refusals_total',
    'Series not created or restored (503 forest_limit): no room for their forest even after evicting',
  );
  readonly seriesDeleted = this.counter(
    'tsad_series_deleted_total',
    'Series forgotten by DELETE /v1/series/:id (live state and checkpoint)',
  );
  readonly trainings = this.counter('tsad_trainings_total', 'Models trained by the service');

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** A counter without labels in this instance's registry. */
  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  /** A gauge without labels in this instance's registry. */
  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
