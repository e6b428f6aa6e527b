// Shared setup of the integration tests: one dev server per test file, one workflow bundle,
// simulated machines (createTaskWorkers calls with synthetic resources) in this process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  makeTelemetryFilterString,
} from '@temporalio/worker';
import type { WorkerOptions, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import type { ResourcesSnapshot, TaskWorkers, TaskWorkersOptions, TaskEvent } from '@taskfit/temporal-adapter/worker';
import { startDevServer, uniqueQueue } from './temporal-env.js';

/**
 * A task event as the machine emitted it, with `seenAt`: when it did (for PENDING_NODE_ASSIGNMENT
 * the moment the task was delivered to the machine; the event's `timestamp` is the attempt's
 * schedule time).
 */
export type SeenTaskEvent = TaskEvent & { seenAt: number };

export interface Machine {
  workers: TaskWorkers;
  events: SeenTaskEvent[];
  running: Promise<void>;
}

/** A machine in its own process (test/fixtures/machine-child.mjs). */
export interface ProcessMachine {
  readonly pid: number;
  /** The task queues it polls. */
  readonly classes: string[];
  readonly events: SeenTaskEvent[];
  /** Shuts it down; resolves with its ledger after shutdown. */
  stop(): Promise<ResourcesSnapshot>;
}

/** JSON-able options of a process machine. */
export type ProcessMachineOptions = Pick<
  TaskWorkersOptions,
  'nodeId' | 'acceleratorType' | 'classes' | 'pollersPerClass' | 'maxBypass' | 'nodeQueues' | 'untypedGpuClasses'
> & { resources: Record<string, number> };

export class TemporalTestbed {
  env!: TestWorkflowEnvironment;
  bundle!: WorkflowBundleWithSourceMap;
  private readonly stops: (() => Promise<void>)[] = [];

  async start(): Promise<void> {
    // Activity and workflow-task failures are expected here; keep the SDK's logs (native ones too) to errors.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
    const [env, bundle] = await Promise.all([startDevServer(), this.bundleOf('workflows.ts')]);
    this.env = env;
    this.bundle = bundle;
  }

  /**
   * A fresh task-queue base with a workflow worker polling it: the test workflows (test/workflows.ts),
   * or `bundle`, with extra Worker options (e.g. `workflowFailureErrorTypes`).
   */
  async queue(
    prefix: string,
    opts: { bundle?: WorkflowBundleWithSourceMap; workerOptions?: Partial<WorkerOptions> } = {},
  ): Promise<string> {
    const taskQueue = uniqueQueue(prefix);
    const worker = await Worker.create({
      ...opts.workerOptions,
      connection: this.env.nativeConnection,
      namespace: this.env.namespace ?? 'default',
      taskQueue,
      workflowBundle: opts.bundle ?? this.bundle,
    });
    const running = worker.run();
    this.stops.push(async () => {
      worker.shutdown();
      await running;
    });
    return taskQueue;
  }

  /** Bundles the workflows of `path` (relative to test/). */
  async bundleOf(path: string): Promise<WorkflowBundleWithSourceMap> {
    return await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL(`../${path}`, import.meta.url)),
      logger: quietLogger,
    });
  }

  /** A plain Temporal Worker (no taskfit) running `activities` on `taskQueue`, for comparison. */
  async plainWorker(taskQueue: string, activities: object): Promise<void> {
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      namespace: this.env.namespace ?? 'default',
      taskQueue,
      activities,
    });
    const running = worker.run();
    this.stops.push(async () => {
      worker.shutdown();
      await running;
    });
  }

  /** A simulated machine: createTaskWorkers with the given resources, running until `stopAll`. */
  async machine(taskQueue: string, opts: Omit<TaskWorkersOptions, 'connection' | 'taskQueue'>): Promise<Machine> {
    // Each simulated machine has its own connection, as a real one would (sdk-core also refuses
    // two Workers of one connection on the same task queue).
    const connection = await NativeConnection.connect({ address: this.env.address });
    const workers = await createTaskWorkers({
      connection,
      namespace: this.env.namespace ?? 'default',
      taskQueue,
      ...opts,
    });
    const events: SeenTaskEvent[] = [];
    workers.events.on('task', (e) => events.push({ ...e, seenAt: Date.now() }));
    const running = workers.run();
    this.stops.push(async () => {
      await workers.shutdown();
      await connection.close();
    });
    return { workers, events, running };
  }

  /** A machine in its own process with its own resources, serving the activity `hold(ms)`. */
  async processMachine(taskQueue: string, opts: ProcessMachineOptions): Promise<ProcessMachine> {
    const child = fork(
      fileURLToPath(new URL('../fixtures/machine-child.mjs', import.meta.url)),
      [this.env.address, taskQueue, JSON.stringify(opts)],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const events: SeenTaskEvent[] = [];
    let stopped: ((r: ResourcesSnapshot) => void) | undefined;
    const classes = await new Promise<string[]>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`machine ${opts.nodeId ?? '?'} exited with ${code}`)));
      child.on(
        'message',
        (m: { type: string; classes?: string[]; event?: SeenTaskEvent; resources?: ResourcesSnapshot }) => {
          if (m.type === 'ready') resolve(m.classes!);
          else if (m.type === 'event') events.push(m.event!);
          else if (m.type === 'stopped') stopped?.(m.resources!);
        },
      );
    });
    let result: Promise<ResourcesSnapshot> | undefined;
    const stop = (): Promise<ResourcesSnapshot> =>
      (result ??= new Promise<ResourcesSnapshot>((resolve) => {
        stopped = resolve;
        child.send({ type: 'stop' });
      }));
    this.stops.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killed = new Promise((r) => child.once('exit', r));
      const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await Promise.race([stop(), killed]);
      await killed;
      clearTimeout(force);
    });
    return { pid: child.pid!, classes, events, stop };
  }

  async run<T>(workflow: string, taskQueue: string, args: unknown[]): Promise<T> {
    return (await this.env.client.workflow.execute(workflow, {
      taskQueue,
      workflowId: uniqueQueue(`wf-${workflow}`),
      args,
    })) as T;
  }

  async stopAll(): Promise<void> {
    const stops = this.stops.splice(0);
    await Promise.all(stops.map((s) => s()));
  }

  async teardown(): Promise<void> {
    await this.stopAll();
    await this.env?.teardown();
  }
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error(message: string, meta?: Record<string, unknown>) {
    console.error(message, meta);
  },
};
