// The deliberate differences between TaskPool and Piscina that Piscina's own test suite shows.
// Each is named, with its reason, in the package README ("Coming from Piscina → What changes");
// test/piscina-suite.test.ts checks that. They differ only on a machine with fewer CPUs than the
// test keeps busy at once (CI has 2): TaskPool gives each task its CPU before a thread.
const cpuFirst = (n) =>
  `the test keeps ${n} tasks busy at once and counts the threads Piscina starts for them; TaskPool admits a task (1 CPU by default) only when a CPU is free, so with fewer than ${n} CPUs the extra tasks wait in TaskPool's admission queue and no thread is started for them. Give the pool logical CPUs (resources: { CPU: ${n} }) or the tasks fractional ones (numCpus: 0.5) to run more at once.`;

export const differences = [
  {
    file: 'test/task-queue.test.ts',
    name: 'will put items into a task queue until they can run',
    reason: cpuFirst(3),
  },
  {
    file: 'test/thread-count.test.ts',
    name: 'will start with minThreads and max out at maxThreads',
    reason: cpuFirst(4),
  },
  {
    file: 'test/thread-count.test.ts',
    name: 'cold pool spawns workers eagerly up to maxThreads on initial burst',
    reason: cpuFirst(4),
  },
];
