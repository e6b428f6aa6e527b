// Shared setup of the integration tests: one dev server per test file, one workflow bundle,
// simulated machines (createTaskWorkers calls with synthetic resources) in this process.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import type { TaskWorkers, TaskWorkersOptions, TaskEvent } from '@taskfit/temporal-adapter/worker';
import { startDevServer, uniqueQueue } from './temporal-env.js';

export interface Machine {
  workers: TaskWorkers;
  events: TaskEvent[];
  running: Promise<void>;
}

export class TemporalTestbed {
  env!: TestWorkflowEnvironment;
  bundle!: WorkflowBundleWithSourceMap;
  private readonly stops: (() => Promise<void>)[] = [];

  async start(): Promise<void> {
    // Activity failures are expected here; keep the SDK's log to errors.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const [env, bundle] = await Promise.all([
      startDevServer(),
      bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../workflows.ts', import.meta.url)),
        logger: quietLogger,
      }),
    ]);
    this.env = env;
    this.bundle = bundle;
  }

  /** A fresh task-queue base with a workflow worker polling it. */
  async queue(prefix: string): Promise<string> {
    const taskQueue = uniqueQueue(prefix);
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      namespace: this.env.namespace ?? 'default',
      taskQueue,
      workflowBundle: this.bundle,
    });
    const running = worker.run();
    this.stops.push(async () => {
      worker.shutdown();
      await running;
    });
    return taskQueue;
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
    const events: TaskEvent[] = [];
    workers.events.on('task', (e) => events.push(e));
    const running = workers.run();
    this.stops.push(async () => {
      await workers.shutdown();
      await connection.close();
    });
    return { workers, events, running };
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
