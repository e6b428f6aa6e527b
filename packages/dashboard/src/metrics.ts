/**
 * Prometheus metrics (prom-client collectors) over a {@link Monitor}: tasks by state and name,
 * attempts, retries, failures by error type, resources per resource and per GPU, queue-wait and
 * run-time histograms. Names follow Prometheus conventions: `taskfit_` prefix, base units
 * (seconds), `_total` only on counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TaskState } from '@taskfit/core';
import type { DashboardPool, DashboardWorkers } from './sources.js';
import { toSources } from './sources.js';
import { Monitor, resolveLimits } from './monitor.js';
import type { DashboardLimits } from './monitor.js';

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /** `TaskPool`s to observe. */
  pools?: readonly DashboardPool[];
  /** `createTaskWorkers(...)` results to observe. */
  workers?: readonly DashboardWorkers[];
  /** The prom-client registry to register the collectors in. @default a new `Registry` */
  registry?: Registry;
  /** Distinct task names per metric before further names are counted as `name="other"`. @default 200 */
  maxMetricNames?: number;
}

/** The registered collectors. */
export interface TaskfitMetrics {
  /** The registry the collectors are in. */
  readonly registry: Registry;
  /** Removes the collectors from the registry and stops observing the sources. */
  close(): void;
}

/** Bucket bounds (seconds) of the wait and run histograms: 1 ms to 1 h. */
export const TIME_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

/** Names of the metrics, for reference. */
export const METRIC_NAMES = {
  tasks: 'taskfit_tasks',
  tasksTotal: 'taskfit_tasks_total',
  attempts: 'taskfit_task_attempts_total',
  retries: 'taskfit_task_retries_total',
  failures: 'taskfit_task_failures_total',
  capacity: 'taskfit_resource_capacity',
  reserved: 'taskfit_resource_reserved',
  idle: 'taskfit_resource_idle_reserved',
  gpuReserved: 'taskfit_gpu_reserved',
  gpuTasks: 'taskfit_gpu_tasks',
  wait: 'taskfit_task_queue_wait_seconds',
  run: 'taskfit_task_run_seconds',
} as const;

/** @internal Registers the collectors of `monitor` in `registry`; returns the unregister function. */
export function registerMonitorMetrics(monitor: Monitor, registry: Registry): () => void {
  const names = { of: (name: string) => monitor.metricName(name) };
  const registers = [registry];
  const made: string[] = [];
  const track = <T>(name: string, metric: T): T => {
    made.push(name);
    return metric;
  };
  const byName = <V>(m: Map<string, Map<string, V>>, each: (source: string, name: string, v: V) => void): void => {
    for (const [source, per] of m) for (const [name, v] of per) each(source, names.of(name), v);
  };

  track(
    METRIC_NAMES.tasks,
    new Gauge({
      name: METRIC_NAMES.tasks,
      help: 'Tasks the source remembers, by latest state and name (its summarizeTasks()).',
      labelNames: ['source', 'name', 'state'],
      registers,
      collect() {
        this.reset();
        for (const s of monitor.sources) {
          const sum = s.summarize();
          for (const [name, states] of Object.entries(sum.byName))
            for (const [state, n] of Object.entries(states))
              this.inc({ source: s.id, name: names.of(name), state }, n ?? 0);
        }
      },
    }),
  );
  track(
    METRIC_NAMES.tasksTotal,
    new Counter({
      name: METRIC_NAMES.tasksTotal,
      help: 'Tasks that ended, by final state (FINISHED or FAILED, once per task, after its last attempt) and name.',
      labelNames: ['source', 'name', 'state'],
      registers,
      collect() {
        monitor.resolveFailures();
        this.reset();
        byName(monitor.counts.tasksEnded, (source, name, states: Map<TaskState, number>) => {
          for (const [state, n] of states) this.inc({ source, name, state }, n);
        });
      },
    }),
  );
  track(
    METRIC_NAMES.attempts,
    new Counter({
      name: METRIC_NAMES.attempts,
      help: 'Attempts that ended, by outcome (state FINISHED or FAILED) and task name; a retry is a new attempt.',
      labelNames: ['source', 'name', 'state'],
      registers,
      collect() {
        this.reset();
        byName(monitor.counts.attemptsEnded, (source, name, states: Map<TaskState, number>) => {
          for (const [state, n] of states) this.inc({ source, name, state }, n);
        });
      },
    }),
  );
  track(
    METRIC_NAMES.retries,
    new Counter({
      name: METRIC_NAMES.retries,
      help: 'Retries (attempts after the first), by task name.',
      labelNames: ['source', 'name'],
      registers,
      collect() {
        this.reset();
        byName(monitor.counts.retries, (source, name, n: number) => this.inc({ source, name }, n));
      },
    }),
  );
  track(
    METRIC_NAMES.failures,
    new Counter({
      name: METRIC_NAMES.failures,
      help: 'Failed attempts by error type (the thrown class name, WorkerCrashedError, TaskCancelledError, …) and task name.',
      labelNames: ['source', 'name', 'error_type'],
      registers,
      collect() {
        this.reset();
        byName(monitor.counts.failures, (source, name, types: Map<string, number>) => {
          for (const [error_type, n] of types) this.inc({ source, name, error_type }, n);
        });
      },
    }),
  );
  const resourceGauge = (
    name: string,
    help: string,
    pick: (r: ReturnType<Monitor['resources']>[number]) => Readonly<Record<string, number>> | undefined,
  ) =>
    track(
      name,
      new Gauge({
        name,
        help,
        labelNames: ['source', 'resource'],
        registers,
        collect() {
          this.reset();
          for (const r of monitor.resources()) {
            const values = pick(r);
            if (values === undefined) continue;
            for (const [resource, v] of Object.entries(values)) this.set({ source: r.source, resource }, v);
          }
        },
      }),
    );
  resourceGauge(
    METRIC_NAMES.capacity,
    'Resource capacity of the node, in the units the node was given (memory in bytes).',
    (r) => r.now.total,
  );
  resourceGauge(
    METRIC_NAMES.reserved,
    'Resources reserved by tasks (pending tasks hold nothing).',
    (r) => r.now.reserved,
  );
  resourceGauge(
    METRIC_NAMES.idle,
    'Temporal workers: resources reserved by idle pollers, waiting for a task of their class.',
    (r) => r.now.idle,
  );
  track(
    METRIC_NAMES.gpuReserved,
    new Gauge({
      name: METRIC_NAMES.gpuReserved,
      help: 'Fraction of each GPU reserved by running tasks (0 to 1).',
      labelNames: ['source', 'gpu'],
      registers,
      collect() {
        this.reset();
        for (const g of monitor.gpus())
          this.set(
            { source: g.source, gpu: g.gpu },
            Math.round(g.holders.reduce((n, h) => n + h.fraction, 0) * 10_000) / 10_000,
          );
      },
    }),
  );
  track(
    METRIC_NAMES.gpuTasks,
    new Gauge({
      name: METRIC_NAMES.gpuTasks,
      help: 'Running tasks holding (a share of) each GPU.',
      labelNames: ['source', 'gpu'],
      registers,
      collect() {
        this.reset();
        for (const g of monitor.gpus()) this.set({ source: g.source, gpu: g.gpu }, g.holders.length);
      },
    }),
  );
  const wait = track(
    METRIC_NAMES.wait,
    new Histogram({
      name: METRIC_NAMES.wait,
      help: 'Time an attempt waited from submission (or its retry) until it started running, seconds.',
      labelNames: ['source', 'name'],
      buckets: [...TIME_BUCKETS],
      registers,
    }),
  );
  const run = track(
    METRIC_NAMES.run,
    new Histogram({
      name: METRIC_NAMES.run,
      help: 'Run time of an attempt, from RUNNING to FINISHED or FAILED, seconds.',
      labelNames: ['source', 'name'],
      buckets: [...TIME_BUCKETS],
      registers,
    }),
  );
  const stop = monitor.observe((o) => {
    (o.kind === 'wait' ? wait : run).observe({ source: o.source, name: names.of(o.name) }, o.seconds);
  });
  return () => {
    stop();
    for (const n of made) registry.removeSingleMetric(n);
  };
}

/**
 * Registers taskfit's collectors in a prom-client registry (yours, or a new one) without serving
 * a dashboard: expose `registry.metrics()` on your own endpoint.
 *
 * ```ts
 * import { register } from 'prom-client';
 * const metrics = registerMetrics({ pools: [pool], registry: register });
 * ```
 */
export function registerMetrics(options: MetricsOptions): TaskfitMetrics {
  const registry = options.registry ?? new Registry();
  const limits: DashboardLimits =
    options.maxMetricNames !== undefined ? { maxMetricNames: options.maxMetricNames } : {};
  const monitor = new Monitor(toSources(options.pools ?? [], options.workers ?? []), resolveLimits(limits));
  const unregister = registerMonitorMetrics(monitor, registry);
  return {
    registry,
    close() {
      unregister();
      monitor.close();
    },
  };
}
