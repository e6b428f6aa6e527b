// The shared behaviour suite (testing/), run against TaskPool with the shared tasks module as its worker file.
import { TaskPool } from '@taskfit/piscina-adapter';
import { defineBehaviourSuite, toBehaviourEvent } from '../../../testing/behaviour-suite.js';
import type { BehaviourTaskEvent } from '../../../testing/behaviour-suite.js';

defineBehaviourSuite('TaskPool (Piscina)', async (spec) => {
  const pool = new TaskPool({
    filename: new URL('../../../testing/tasks.mjs', import.meta.url),
    resources: spec.resources,
    maxThreads: 4,
  });
  return {
    async submit(task, args, options) {
      const f = pool.remote(task, options);
      const out = f.remote(...args);
      if (out === undefined) {
        // numReturns 0: wait for the task through its events.
        const name = options?.name;
        await new Promise<void>((resolve, reject) => {
          const check = () => {
            const [info] = pool.listTasks({ name: name! });
            if (info?.state === 'FINISHED') resolve();
            else if (info?.state === 'FAILED') reject(new Error(`task failed: ${info.errorType}`));
            else setTimeout(check, 10);
          };
          check();
        });
        return undefined;
      }
      if (Array.isArray(out)) return Promise.all(out);
      return out;
    },
    async events(name): Promise<BehaviourTaskEvent[]> {
      return pool
        .listTasks({ name })
        .flatMap((t) => t.events)
        .map(toBehaviourEvent);
    },
    async ledger() {
      return pool.resources;
    },
    async close() {
      await pool.close();
    },
  };
});
