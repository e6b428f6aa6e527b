// BEFORE: raw Piscina. A pool sized by thread count; every task looks the same to it.
import { Piscina } from 'piscina';
import { jobs, report } from './jobs.mjs';

const pool = new Piscina({ filename: new URL('./worker.mjs', import.meta.url).href, maxThreads: 2 });

report(await Promise.all(jobs.map((job) => pool.run(job, { name: 'checksum' }))));

// Errors: a custom error class thrown in the worker arrives as a plain Error.
try {
  await pool.run({ name: 'Not Valid' }, { name: 'validate' });
} catch (err) {
  console.log(`error ${err.name}: ${err.message}`);
}

await pool.destroy();
