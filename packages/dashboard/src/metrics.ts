/**
 * Prometheus metrics (prom-client collectors) over a {@link Monitor}: tasks by state and name,
 * attempts, retries, failures by error type, resources per resource and per GPU, the executors'
 * load (pool threads and queue, Temporal open polls and waiting tasks), queue-wait and run-time
 * histograms. Names follow Prometheus conventions: `taskfit_` prefix, base units
 * (seconds), `_total` only on counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DashboardPool, DashboardWorkers, SourceResources } from './sources.js';
import { toSources } from './sources.js';
import { resolveLimits } from './limits.js';
import type { DashboardLimits } from './limits.js';
import { Monitor } from './monitor.js';

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
  gpuReserved: 'taskfit_gpu_reserved',
  gpuTasks: 'taskfit_gpu_tasks',
  poolThreads: 'taskfit_pool_threads',
  poolQueueSize: 'taskfit_pool_queue_size',
  workerOpenPolls: 'taskfit_worker_open_polls',
  workerWaitingTasks: 'taskfit_worker_waiting_tasks',
  wait: 'taskfit_task_queue_wait_seconds',
  run: 'taskfit_task_run_seconds',
} as const;

/** @internal Registers the collectors of `monitor` in `registry`; returns the unregister function. */
export function registerMonitorMetrics(monitor: Monitor, registry: Registry): () => void {
  const registers = [registry];
  const made: string[] = [];
  const track = <T>(name: string, metric: T): T => {
    made.push(name);
    return metric;
  };
  type Fill = (put: (labels: Record<string, string>, value: number) => void) => void;
  /** A counter whose values are read at scrape time (monotonic counts kept by the monitor). */
  const counter = (name: string, help: string, labelNames: string[], fill: Fill): void => {
    track(
      name,
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((l, v) => this.inc(l, v));
        },
      }),
    );
  };
  /** A gauge whose values are read at scrape time. */
  const gauge = (name: string, help: string, labelNames: string[], fill: Fill): void => {
    track(
      name,
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((l, v) => this.set(l, v));
        },
      }),
    );
  };
  /** `m[source][name][key]` as series with labels source, name and `key` (the monitor's counts are keyed by name label). */
  const nested =
    <K extends string>(m: Map<string, Map<string, Map<K, number>>>, key: string): Fill =>
    (put) => {
      for (const [source, per] of m)
        for (const [name, values] of per) for (const [k, n] of values) put({ source, name, [key]: k }, n);
    };

  gauge(
    METRIC_NAMES.tasks,
    'Tasks the source remembers, by latest state and name (its summarizeTasks()).',
    ['source', 'name', 'state'],
    (put) => {
      for (const s of monitor.sources) {
        // Several names may fold into "other": add them up before setting.
        const sums = new Map<string, number>();
        for (const [name, states] of Object.entries(s.summarize().byName))
          for (const [state, n] of Object.entries(states)) {
            const k = `${monitor.metricName(name)}\u0000${state}`;
            sums.set(k, (sums.get(k) ?? 0) + (n ?? 0));
          }
        for (const [k, n] of sums) {
          const [name, state] = k.split('\u0000') as [string, string];
          put({ source: s.id, name, state }, n);
        }
      }
    },
  );
  counter(
    METRIC_NAMES.tasksTotal,
    'Tasks that ended, by final state (FINISHED or FAILED, once per task, after its last attempt) and name.',
    ['source', 'name', 'state'],
    (put) => {
      monitor.resolveFailures();
      nested(monitor.counts.tasksEnded, 'state')(put);
    },
  );
  counter(
    METRIC_NAMES.attempts,
    'Attempts that ended, by outcome (state FINISHED or FAILED) and task name; a retry is a new attempt.',
    ['source', 'name', 'state'],
    nested(monitor.counts.attemptsEnded, 'state'),
  );
  counter(METRIC_NAMES.retries, 'Retries (attempts after the first), by task name.', ['source', 'name'], (put) => {
    for (const [source, per] of monitor.counts.retries) for (const [name, n] of per) put({ source, name }, n);
  });
  counter(
    METRIC_NAMES.failures,
    'Failed attempts by error type (the thrown class name, WorkerCrashedError, TaskCancelledError, …) and task name.',
    ['source', 'name', 'error_type'],
    nested(monitor.counts.failures, 'error_type'),
  );
  const resources =
    (pick: (r: ReturnType<Monitor['resources']>[number]) => Readonly<Record<string, number>> | undefined): Fill =>
    (put) => {
      for (const r of monitor.resources())
        for (const [resource, v] of Object.entries(pick(r) ?? {})) put({ source: r.source, resource }, v);
    };
  gauge(
    METRIC_NAMES.capacity,
    'Resource capacity of the node, in the units the node was given (memory in bytes).',
    ['source', 'resource'],
    resources((r) => r.now.total),
  );
  gauge(
    METRIC_NAMES.reserved,
    'Resources reserved by tasks (pending tasks hold nothing).',
    ['source', 'resource'],
    resources((r) => r.now.reserved),
  );
  gauge(
    METRIC_NAMES.gpuReserved,
    'Fraction of each GPU reserved by running tasks (0 to 1).',
    ['source', 'gpu'],
    (put) => {
      for (const g of monitor.gpus())
        put(
          { source: g.source, gpu: g.gpu },
          Math.round(g.holders.reduce((n, h) => n + h.fraction, 0) * 10_000) / 10_000,
        );
    },
  );
  gauge(METRIC_NAMES.gpuTasks, 'Running tasks holding (a share of) each GPU.', ['source', 'gpu'], (put) => {
    for (const g of monitor.gpus()) put({ source: g.source, gpu: g.gpu }, g.holders.length);
  });
  /** A gauge of one number per source, for the sources that report it. */
  const load = (name: string, help: string, pick: (r: SourceResources) => number | undefined): void =>
    gauge(name, help, ['source'], (put) => {
      for (const r of monitor.resources()) {
        const v = pick(r.now);
        if (v !== undefined) put({ source: r.source }, v);
      }
    });
  load(METRIC_NAMES.poolThreads, 'TaskPool: worker threads now (Piscina threads).', (r) => r.threads);
  load(
    METRIC_NAMES.poolQueueSize,
    'TaskPool: tasks waiting for resources or for a thread (the pool queueSize).',
    (r) => r.queueSize,
  );
  load(
    METRIC_NAMES.workerOpenPolls,
    'Temporal workers: activity polls open now, over all task queues of the machine (an open poll reserves nothing).',
    (r) => r.openPolls,
  );
  load(
    METRIC_NAMES.workerWaitingTasks,
    'Temporal workers: activities that arrived on the machine and wait for resources (they hold nothing).',
    (r) => r.waitingTasks,
  );
  const histogram = (name: string, help: string): Histogram =>
    track(name, new Histogram({ name, help, labelNames: ['source', 'name'], buckets: [...TIME_BUCKETS], registers }));
  const wait = histogram(
    METRIC_NAMES.wait,
    'Time an attempt waited from submission (or its retry) until it started running, seconds.',
  );
  const run = histogram(METRIC_NAMES.run, 'Run time of an attempt, from RUNNING to FINISHED or FAILED, seconds.');
  const stop = monitor.observe((o) => {
    (o.kind === 'wait' ? wait : run).observe({ source: o.source, name: o.name }, o.seconds);
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
