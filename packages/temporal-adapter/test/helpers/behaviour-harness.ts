// Harness of the shared behaviour suite (testing/) for the Temporal executor: a real dev server,
// one simulated machine (createTaskWorkers with the suite's resources) in this process, and
// each task run by a workflow through remoteActivity.
import { InfeasibleTaskError, mergeTaskOptions, resourceDemand, validateTaskOptions } from '@taskfit/core';
import type { TaskOptions } from '@taskfit/core';
import type { TaskPool } from '@taskfit/piscina-adapter';
import { resourceClassKey, taskQueueName, toTaskFailure } from '@taskfit/temporal-adapter';
import * as tasks from '../../../../testing/tasks.mjs';
import { toBehaviourEvent } from '../../../../testing/behaviour-suite.js';
import type { BehaviourHarness, BehaviourTaskEvent, HarnessSpec } from '../../../../testing/behaviour-suite.js';
import { TemporalTestbed } from './harness.js';

const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** Builds the harness; with `makePool`, activity bodies run in that TaskPool. */
export async function temporalHarness(
  spec: HarnessSpec,
  makePool?: (spec: HarnessSpec) => TaskPool,
): Promise<BehaviourHarness> {
  const pool = makePool?.(spec);
  const bed = new TemporalTestbed();
  await bed.start();
  const q = await bed.queue('behaviour');
  const machine = await bed.machine(q, {
    nodeId: 'behaviour-node',
    resources: spec.resources,
    classes: [{}, { numGpus: 0.5, numCpus: 0 }],
    activities: tasks,
    ...(pool === undefined ? {} : { pool }),
  });
  const namespace = bed.env.namespace ?? 'default';
  const pollersOf = async (taskQueue: string): Promise<number> => {
    const res = await bed.env.client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
    });
    return res.pollers?.length ?? 0;
  };
  // Wait until every class queue shows its poller, so that "no poller" below means "nobody serves it".
  for (const c of machine.workers.classes) {
    while ((await pollersOf(c.taskQueue)) === 0) await new Promise((r) => setTimeout(r, 50));
  }
  let seq = 0;
  return {
    async submit(task, args, options: TaskOptions = {}) {
      const opts = mergeTaskOptions(validateTaskOptions(options), {
        _metadata: { 'temporal.io/activity': { initialInterval: '100ms', backoffCoefficient: 1 } },
      });
      // Temporal lets a task wait forever on a queue nobody polls; a client can see that no
      // worker serves the class (DescribeTaskQueue) and fail fast, naming the demand.
      const demand = resourceDemand(opts);
      const queue = taskQueueName(q, demand);
      if ((await pollersOf(queue)) === 0) {
        throw new InfeasibleTaskError(
          options.name ?? task,
          `no worker serves resource class ${resourceClassKey(demand)} (task queue ${queue})`,
        );
      }
      try {
        return await bed.env.client.workflow.execute('runTask', {
          taskQueue: q,
          workflowId: `behaviour-${++seq}-${Date.now()}`,
          args: [task, args, opts],
        });
      } catch (err) {
        throw toTaskFailure(err) ?? err;
      }
    },
    async events(name): Promise<BehaviourTaskEvent[]> {
      return machine.events.filter((e) => e.name === name).map(toBehaviourEvent);
    },
    async ledger() {
      const { total, available } = machine.workers.resources();
      return { total, available };
    },
    async close() {
      await bed.teardown();
      await pool?.close();
    },
  };
}
