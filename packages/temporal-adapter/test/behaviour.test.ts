// The shared behaviour suite (testing/) against the Temporal executor, activity bodies inline.
import { defineBehaviourSuite } from '../../../testing/behaviour-suite.js';
import { temporalHarness } from './helpers/behaviour-harness.js';

defineBehaviourSuite('Temporal activities', (spec) => temporalHarness(spec), {
  skip: {
    crashWorker:
      'activities run inline in the worker process, which here is the test process (process.exit would end the run); covered by behaviour-pool.test.ts (thread crash) and two-process.test.ts (SIGKILL of a worker process)',
    maxCalls:
      'activities run inline in the long-lived worker process; maxCalls needs the TaskPool runner (createTaskWorkers({ pool })), covered by behaviour-pool.test.ts',
    nestedTasks:
      'an inline activity is not a pool task: child tasks are submitted from activity bodies run in a TaskPool (createTaskWorkers({ pool })), covered by behaviour-pool.test.ts',
  },
});
