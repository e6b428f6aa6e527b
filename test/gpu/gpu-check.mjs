// GPU end-to-end check of @taskfit/core/node detection and the Piscina TaskPool on a real GPU machine.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { detectNodeResources } from '@taskfit/core/node';
import { TaskPool } from '@taskfit/piscina-adapter';

const report = { checks: [] };
const check = (name, ok, detail) => {
  report.checks.push({ name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name} ${JSON.stringify(detail)}`);
};
const filename = new URL('./tasks.mjs', import.meta.url);

try {
  report.smi = execFileSync(
    'nvidia-smi',
    ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits'],
    { encoding: 'utf8' },
  );
} catch (e) {
  report.smi = String(e);
}
const hostProbe = JSON.parse(
  execFileSync('python3', [new URL('./cuda_probe.py', import.meta.url).pathname], { encoding: 'utf8' }),
);
report.hostProbe = hostProbe;
console.log('host sees', hostProbe);

const det = await detectNodeResources();
report.detected = det;
const nGpu = det.resources.GPU ?? 0;
check('detection counts the GPUs the driver reports', nGpu === hostProbe.count, {
  detectedGPU: nGpu,
  driver: hostProbe.count,
});
check(
  'detection derives the accelerator type',
  typeof det.acceleratorType === 'string' && det.acceleratorType.length > 0,
  det.acceleratorType,
);

// 1) Whole GPU per task: each child sees exactly one device, the one the ledger assigned.
{
  const pool = new TaskPool({ filename, maxThreads: 2, minThreads: 2 });
  await pool.ready;
  const whole = pool.remote('probe', { numGpus: 1, numCpus: 0 });
  const rs = await Promise.all(Array.from({ length: Math.max(nGpu, 1) }, () => whole.remote(300)));
  for (const r of rs) {
    const idx = Number(r.gpuIds[0]);
    const expectUuid = hostProbe.uuids?.[idx] ?? String(r.gpuIds[0]);
    check(
      '1-GPU task: child sees exactly the assigned device via libcuda',
      r.child.count === 1 && r.child.uuids?.[0] === expectUuid,
      { gpuIds: r.gpuIds, env: r.env, child: r.child, expectUuid },
    );
  }
  // 2) Two 0.5-GPU tasks share device 0 concurrently while a 1-GPU demand on a 1-GPU node waits.
  const half = pool.remote('probe', { numGpus: 0.5, numCpus: 0 });
  const [a, b] = await Promise.all([half.remote(800), half.remote(800)]);
  const overlap = Math.min(a.ended, b.ended) - Math.max(a.started, b.started);
  check(
    'two 0.5-GPU tasks overlap on one device',
    String(a.gpuIds) === String(b.gpuIds) && overlap > 0 && a.child.count === 1,
    { a: a.gpuIds, b: b.gpuIds, overlapMs: overlap },
  );
  // 3) A CPU task leaves CUDA_VISIBLE_DEVICES untouched (inherits the host's: unset here).
  const cpu = await pool.remote('probe', { numCpus: 1 }).remote(0);
  check(
    'CPU task: CUDA_VISIBLE_DEVICES untouched, child sees what the host sees',
    cpu.env === (process.env.CUDA_VISIBLE_DEVICES ?? null) && cpu.child.count === hostProbe.count,
    { env: cpu.env, childCount: cpu.child.count },
  );
  check(
    'ledger back to full',
    JSON.stringify(pool.resources.available) === JSON.stringify(pool.resources.total),
    pool.resources,
  );
  await pool.close();
}

// 4) Host pre-sets CUDA_VISIBLE_DEVICES to a UUID: detection and tasks map through it.
if (hostProbe.uuids?.length) {
  const uuid = hostProbe.uuids[hostProbe.uuids.length - 1];
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `
    import('@taskfit/core/node').then(async ({ detectNodeResources }) => {
      const { TaskPool } = await import('@taskfit/piscina-adapter');
      const det = await detectNodeResources();
      const pool = new TaskPool({ filename: ${JSON.stringify(filename.href)}, maxThreads: 1, minThreads: 1 });
      const r = await pool.remote('probe', { numGpus: 1, numCpus: 0 }).remote(0);
      await pool.close();
      console.log(JSON.stringify({ gpu: det.resources.GPU, r }));
    });`,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, CUDA_VISIBLE_DEVICES: uuid },
      cwd: new URL('.', import.meta.url).pathname,
    },
  );
  const { gpu, r } = JSON.parse(out.trim().split('\n').pop());
  check(
    'host CUDA_VISIBLE_DEVICES=<uuid>: one GPU detected, task gets the uuid, child sees that device',
    gpu === 1 && String(r.gpuIds[0]) === uuid && r.env === uuid && r.child.uuids?.[0] === uuid,
    { gpu, gpuIds: r.gpuIds, env: r.env, child: r.child },
  );
}

report.ok = report.checks.every((c) => c.ok);
writeFileSync(`${process.env.OUT ?? tmpdir()}/gpu-check.json`, JSON.stringify(report, null, 2));
console.log(report.ok ? 'ALL GPU CHECKS PASSED' : 'SOME GPU CHECKS FAILED');
process.exit(report.ok ? 0 : 1);
