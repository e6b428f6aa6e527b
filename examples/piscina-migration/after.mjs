// AFTER: taskfit's TaskPool. Same worker module, same `run` call; per-task options opt in.
import { TaskPool } from '@taskfit/piscina-adapter';
import { jobs, report } from './jobs.mjs';

// The only required change is the constructor. Every Piscina option still works; `resources`
// defaults to this machine's detected resources (fixed here so the example is reproducible).
const pool = new TaskPool({
  filename: new URL('./worker.mjs', import.meta.url).href,
  maxThreads: 2,
  resources: { CPU: 2 },
});

// 1. Unchanged call: each task demands 1 CPU, so at most two run at once.
report(await Promise.all(jobs.map((job) => pool.run(job, { name: 'checksum' }))));

// 2. Failures are typed: a thrown error arrives as a TaskError whose `errorType` is the class
//    name thrown in the worker (and whose `cause` is that error, name and message intact).
//    Crashed workers, cancellations and impossible demands have their own classes.
try {
  await pool.run({ name: 'Not Valid' }, { name: 'validate' });
} catch (err) {
  console.log(`error ${err.cause.name}: ${err.cause.message} (${err.name}, errorType ${err.errorType})`);
}

// 3. Opting in: a task that needs both CPUs, validated when declared, retried on a crash.
const checksum = pool.remote('checksum', { numCpus: 1, maxRetries: 2 });
const wide = checksum.options({ numCpus: 2, name: 'checksum-wide' });
const result = await wide.remote({ name: 'omega', rounds: 100_000 });
console.log(`remote ${result.name} ${result.rounds} ${result.sha256} (numCpus ${wide.taskOptions.numCpus})`);

// 4. Mistakes fail at declaration, naming the option and the rule.
try {
  checksum.options({ num_cpus: 2 });
} catch (err) {
  console.log(`rejected ${err.name} ${err.code}: ${err.message}`);
}

await pool.close();
