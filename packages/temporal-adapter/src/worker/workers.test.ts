import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '@taskfit/core';
import type { TaskOptions } from '@taskfit/core';
import type { NativeConnection } from '@temporalio/worker';
import { TaskPool } from '@taskfit/piscina-adapter';
import { createTaskWorkers } from './workers.js';

// Everything checked here fails before any Temporal Worker is created: no server needed.
const base = { connection: {} as NativeConnection, taskQueue: 'q', activities: {}, resources: { CPU: 2, GPU: 1 } };

describe('createTaskWorkers options', () => {
  it('an invalid class throws the TaskOptionsError itself, every path under classes[i]', async () => {
    const err = await createTaskWorkers({ ...base, classes: [{}, { numGpus: 1.5, num_cpus: 1 } as TaskOptions] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskOptionsError);
    const issues = (err as TaskOptionsError).issues.map((i) => ({ code: i.code, path: i.path }));
    expect(issues).toEqual(
      expect.arrayContaining([
        { code: 'invalid_value', path: ['classes', 1, 'numGpus'] },
        { code: 'unknown_option', path: ['classes', 1, 'num_cpus'] },
      ]),
    );
    expect((err as TaskOptionsError).message).toMatch(/classes\[1\]: /);
  });

  it('a pool that is not a TaskPool is refused with a clear error naming the optional peer dependency', async () => {
    await expect(createTaskWorkers({ ...base, pool: {} as never })).rejects.toThrow(
      /needs a TaskPool from @taskfit\/piscina-adapter, an optional peer dependency/,
    );
  });

  it("with a pool, the machine's one ledger is the pool's: other resources or another maxBypass are refused", async () => {
    const pool = new TaskPool({ resources: { CPU: 2, GPU: 1 }, maxBypass: 8 });
    try {
      await expect(createTaskWorkers({ ...base, pool, resources: { CPU: 4, GPU: 1 } })).rejects.toThrow(
        /with a pool, the machine's one ledger is the pool's — give the resources to the TaskPool/,
      );
      await expect(createTaskWorkers({ ...base, pool, maxBypass: 32 })).rejects.toThrow(
        /the pool admits the activities with its own maxBypass \(8\)/,
      );
    } finally {
      await pool.close();
    }
  });

  it('refuses bad pollersPerClass and maxBypass', async () => {
    await expect(createTaskWorkers({ ...base, pollersPerClass: 0 })).rejects.toThrow(RangeError);
    await expect(createTaskWorkers({ ...base, maxBypass: -1 })).rejects.toThrow(/maxBypass must be/);
  });
});
