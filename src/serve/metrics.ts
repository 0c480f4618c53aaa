/** The service's Prometheus metrics (prom-client, one registry per service instance). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ServeMetrics {
  readonly registry = new Registry();
  readonly points = new Counter({
    name: 'tsad_points_scored_total',
    help: 'Points scored',
    registers: [this.registry],
  });
  readonly alarms = new Counter({
    name: 'tsad_alarms_total',
    help: 'Alarms raised',
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'tsad_request_duration_seconds',
    help: 'Request latency by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly liveSeries = new Gauge({
    name: 'tsad_live_series',
    help: 'Series held in memory',
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: 'tsad_model_reloads_total',
    help: 'Model versions loaded after an alias moved (or at start)',
    registers: [this.registry],
  });
  readonly reloadErrors = new Counter({
    name: 'tsad_model_reload_errors_total',
    help: 'Registry checks that failed (the service keeps its models)',
    registers: [this.registry],
  });
  readonly checkpoints = new Counter({
    name: 'tsad_checkpoints_total',
    help: 'Series checkpoints written',
    registers: [this.registry],
  });
  readonly evictions = new Counter({
    name: 'tsad_evictions_total',
    help: 'Series evicted from memory (LRU)',
    registers: [this.registry],
  });
  readonly trainings = new Counter({
    name: 'tsad_trainings_total',
    help: 'Models trained by the service',
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
