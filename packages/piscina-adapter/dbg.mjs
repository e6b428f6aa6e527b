import { TaskPool } from '@taskfit/piscina-adapter';
const pool = new TaskPool({
  filename: new URL('./test/fixtures/tasks.mjs', import.meta.url),
  resources: { CPU: 4 },
  maxThreads: Number(process.argv[2] ?? 1),
});
const f = pool.remote('soak', { maxRetries: 1 });
await f.remote(0, false);
let t = performance.now();
for (let i = 0; i < 20; i++) await f.remote(i, true);
console.log('seq crash ms each', (performance.now() - t) / 20);
t = performance.now();
await Promise.all(Array.from({ length: 2000 }, (_, i) => f.remote(i, false)));
console.log('2000 ok ms', performance.now() - t);
t = performance.now();
await Promise.all(Array.from({ length: 100 }, (_, i) => f.remote(i, true)));
console.log('100 parallel crashes ms', performance.now() - t);
await pool.close();
