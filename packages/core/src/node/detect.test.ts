import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import { NodeResources } from '../resources/node-resources.js';
import { createLocalNode, detectNodeResources, type CommandRunner, type DetectOptions } from './detect.js';

const H200 = readFileSync(new URL('./__fixtures__/nvidia-h200/query-noheader.csv', import.meta.url), 'utf8');
const FOUR = [0, 1, 2, 3].map((i) => `${i}, GPU-${i}${i}${i}, NVIDIA A100-SXM4-80GB, 81920`).join('\n');

const smi =
  (stdout: string): CommandRunner =>
  async (file, args) => {
    expect(file).toBe('nvidia-smi');
    expect(args).toEqual(['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits']);
    return stdout;
  };
const fail =
  (e: object): CommandRunner =>
  async () => {
    throw Object.assign(new Error('boom\nmore'), e);
  };
const files =
  (map: Record<string, string>) =>
  async (p: string): Promise<string | undefined> =>
    map[p];

const base = (o: Partial<DetectOptions> = {}): DetectOptions => ({
  env: {},
  hostCpus: 16,
  hostMemory: 64 * 2 ** 30,
  readFile: files({}),
  runCommand: smi(''),
  ...o,
});

describe('detectNodeResources', () => {
  it('real H200 capture: one GPU, accelerator type H200, 143771 MiB', async () => {
    const d = await detectNodeResources(base({ runCommand: smi(H200) }));
    expect(d.gpus).toEqual([
      { index: 0, uuid: 'GPU-fae129c8-de89-529d-4bf4-97d749d183d9', name: 'NVIDIA H200', memoryMiB: 143771 },
    ]);
    expect(d.acceleratorType).toBe('H200');
    expect(d.resources).toEqual({ CPU: 16, memory: 64 * 2 ** 30, GPU: 1, 'accelerator_type:H200': 1 });
    expect(d.labels).toEqual({ 'ray.io/accelerator-type': 'H200' });
    expect(d.sources).toEqual({ cpu: 'host', memory: 'host', gpu: 'nvidia-smi', overridden: [] });
    const node = new NodeResources(d.resources, d.nodeOptions);
    expect(node.total.GPU).toBe(1);
    expect(node.total['accelerator_type:H200']).toBe(1);
    expect(node.tryAllocate({ GPU: 1 })!.gpuIds).toEqual([0]);
  });

  it('synthetic 4-GPU host with CUDA_VISIBLE_DEVICES=2,0 → 2 GPUs mapped to the host ids', async () => {
    const d = await detectNodeResources(base({ runCommand: smi(FOUR), env: { CUDA_VISIBLE_DEVICES: '2,0' } }));
    expect(d.resources.GPU).toBe(2);
    expect(d.gpus.map((g) => g.index)).toEqual([2, 0]);
    expect(d.visibleDevices).toEqual(['2', '0']);
    expect(d.acceleratorType).toBe('A100');
    const node = new NodeResources(d.resources, d.nodeOptions);
    node.tryAllocate({ GPU: 1 });
    expect(node.tryAllocate({ GPU: 1 })!.gpuIds).toEqual(['0']);
  });

  it('CUDA_VISIBLE_DEVICES with UUIDs maps to UUIDs', async () => {
    const d = await detectNodeResources(base({ runCommand: smi(FOUR), env: { CUDA_VISIBLE_DEVICES: 'GPU-333' } }));
    const node = new NodeResources(d.resources, d.nodeOptions);
    expect(node.tryAllocate({ GPU: 1 })!.visibleDevices).toEqual(['GPU-333']);
  });

  it('CUDA_VISIBLE_DEVICES="" → GPU 0 without running nvidia-smi', async () => {
    const d = await detectNodeResources(
      base({
        env: { CUDA_VISIBLE_DEVICES: '' },
        runCommand: async () => {
          throw new Error('must not run');
        },
      }),
    );
    expect(d.resources.GPU).toBe(0);
    expect(d.sources.gpuNote).toBe('CUDA_VISIBLE_DEVICES is empty');
  });

  it('no nvidia-smi, failure or timeout → GPU 0, never a crash', async () => {
    for (const [err, note] of [
      [{ code: 'ENOENT' }, 'nvidia-smi not found'],
      [{ killed: true }, 'nvidia-smi timed out after 5000 ms'],
      [{ code: 9 }, 'nvidia-smi failed: boom'],
    ] as const) {
      const d = await detectNodeResources(base({ runCommand: fail(err) }));
      expect(d.resources).toEqual({ CPU: 16, memory: 64 * 2 ** 30, GPU: 0 });
      expect(d.gpus).toEqual([]);
      expect(d.acceleratorType).toBeUndefined();
      expect(d.sources.gpu).toBe('none');
      expect(d.sources.gpuNote).toBe(note);
    }
    const empty = await detectNodeResources(base({ runCommand: smi('No devices were found\n') }));
    expect(empty.resources.GPU).toBe(0);
    expect(empty.sources.gpuNote).toBe('nvidia-smi listed no GPUs');
  });

  it('the real runner survives a missing nvidia-smi binary', async () => {
    const d = await detectNodeResources({ env: {}, nvidiaSmi: '/nonexistent/nvidia-smi', timeoutMs: 2000 });
    expect(d.resources.GPU).toBe(0);
    expect(d.sources.gpuNote).toBe('nvidia-smi not found');
    expect(d.resources.CPU).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(d.resources.memory)).toBe(true);
  });

  it('timeoutMs holds when nvidia-smi ignores SIGTERM (a wedged driver): killed, not waited for, no GPUs', async () => {
    // A fake nvidia-smi first on PATH: it ignores SIGTERM, writes its pid, and would sleep for 10 minutes.
    const dir = mkdtempSync(join(tmpdir(), 'taskfit-smi-'));
    const pidFile = join(dir, 'pid');
    writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh\ntrap '' TERM\necho $$ > '${pidFile}'\nexec sleep 600\n`);
    chmodSync(join(dir, 'nvidia-smi'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}${delimiter}${path ?? ''}`;
    try {
      const d = await detectNodeResources({ env: {}, timeoutMs: 500 });
      expect(d.resources.GPU).toBe(0);
      expect(d.gpus).toEqual([]);
      expect(d.sources.gpu).toBe('none');
      expect(d.sources.gpuNote).toBe('nvidia-smi timed out after 500 ms');
      // It was SIGKILLed: wait for it to be gone (a condition, not a sleep).
      // (Under heavy load it may have been killed before it wrote its pid; then there is nothing to check.)
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
      if (pid !== undefined)
        await vi.waitFor(
          () => {
            expect(() => process.kill(pid, 0)).toThrow();
          },
          { timeout: 10_000, interval: 20 },
        );
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('timeoutMs holds for an injected runner that never settles', async () => {
    const d = await detectNodeResources(base({ timeoutMs: 50, runCommand: () => new Promise<string>(() => {}) }));
    expect(d.resources.GPU).toBe(0);
    expect(d.sources.gpuNote).toBe('nvidia-smi timed out after 50 ms');
  });

  it('rejects a timeoutMs that is not a positive number of milliseconds', async () => {
    for (const timeoutMs of [0, -1, Number.NaN, 2 ** 31, '5' as unknown as number]) {
      await expect(detectNodeResources(base({ timeoutMs }))).rejects.toMatchObject({ path: ['timeoutMs'] });
    }
  });

  it('cgroup v2 limits (cpu.max, memory.max in the process cgroup) win when below the host', async () => {
    const d = await detectNodeResources(
      base({
        readFile: files({
          '/proc/self/cgroup': '0::/kubepods/pod1\n',
          '/sys/fs/cgroup/kubepods/pod1/cpu.max': '250000 100000\n',
          '/sys/fs/cgroup/kubepods/pod1/memory.max': '8589934592\n',
        }),
      }),
    );
    expect(d.resources.CPU).toBe(2); // 2.5 floored
    expect(d.resources.memory).toBe(8589934592);
    expect(d.sources.cpu).toBe('cgroup-v2');
    expect(d.sources.memory).toBe('cgroup-v2');
  });

  it('cgroup v2 "max" → host values; a fraction below 1 CPU → 1', async () => {
    const unlimited = await detectNodeResources(
      base({ readFile: files({ '/sys/fs/cgroup/cpu.max': 'max 100000', '/sys/fs/cgroup/memory.max': 'max' }) }),
    );
    expect(unlimited.resources.CPU).toBe(16);
    expect(unlimited.sources.cpu).toBe('host');
    const tiny = await detectNodeResources(base({ readFile: files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }) }));
    expect(tiny.resources.CPU).toBe(1);
  });

  it('cgroup v1 CFS quota and memory limit', async () => {
    const d = await detectNodeResources(
      base({
        readFile: files({
          '/proc/self/cgroup': '4:memory:/docker/x\n1:cpu,cpuacct:/docker/x\n0::/\n',
          '/sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_quota_us': '400000\n',
          '/sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_period_us': '100000\n',
          '/sys/fs/cgroup/memory/memory.limit_in_bytes': '2147483648\n',
        }),
      }),
    );
    expect(d.resources.CPU).toBe(4);
    expect(d.resources.memory).toBe(2147483648);
    expect(d.sources).toMatchObject({ cpu: 'cgroup-v1', memory: 'cgroup-v1' });
    const unl = await detectNodeResources(
      base({
        readFile: files({
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
          '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712',
        }),
      }),
    );
    expect(unl.resources).toMatchObject({ CPU: 16, memory: 64 * 2 ** 30 });
  });

  it('options override detection; TASKFIT_RESOURCES wins over both', async () => {
    const d = await detectNodeResources(
      base({
        runCommand: smi(H200),
        resources: { CPU: 4, licence: 2 },
        labels: { zone: 'a' },
        nodeId: 'me',
        env: { TASKFIT_RESOURCES: '{"CPU": 8, "GPU": 0}' },
      }),
    );
    expect(d.resources).toEqual({ CPU: 8, memory: 64 * 2 ** 30, GPU: 0, licence: 2, 'accelerator_type:H200': 1 });
    expect(d.sources).toMatchObject({ cpu: 'override', gpu: 'override', overridden: ['CPU', 'licence', 'GPU'] });
    expect(d.labels).toEqual({ 'ray.io/accelerator-type': 'H200', zone: 'a' });
    expect(d.nodeOptions.nodeId).toBe('me');
  });

  it('invalid TASKFIT_RESOURCES → a clear error naming the variable', async () => {
    const bad = async (value: string) => {
      try {
        await detectNodeResources(base({ env: { TASKFIT_RESOURCES: value } }));
      } catch (e) {
        expect(e).toBeInstanceOf(TaskOptionsError);
        return (e as TaskOptionsError).issues[0]!;
      }
      throw new Error('expected an error');
    };
    const json = await bad('{CPU: 1}');
    expect(json.path).toEqual(['TASKFIT_RESOURCES']);
    expect(json.code).toBe('invalid_value');
    expect(json.message).toMatch(
      /^TASKFIT_RESOURCES must be a JSON object of resource quantities, e\.g\. \{"GPU": 0, "licence": 2\}; JSON\.parse failed: /,
    );
    expect(await bad('[1]')).toEqual({
      path: ['TASKFIT_RESOURCES'],
      code: 'invalid_type',
      message: 'TASKFIT_RESOURCES must be a JSON object of resource quantities, got an array',
    });
    expect(await bad('{"GPU": -1}')).toEqual({
      path: ['TASKFIT_RESOURCES', 'GPU'],
      code: 'invalid_value',
      message: 'TASKFIT_RESOURCES.GPU must be non-negative, got -1',
    });
    expect(await bad('{"GPU": "2"}')).toMatchObject({ code: 'invalid_type', path: ['TASKFIT_RESOURCES', 'GPU'] });
    await expect(detectNodeResources(base({ resources: { CPU: Number.NaN } }))).rejects.toThrow(
      'resources.CPU must be a finite number, got NaN',
    );
    // Overrides are node totals: the rule NodeResources applies, named after the variable.
    expect(await bad('{"CPU": 1.5}')).toEqual({
      path: ['TASKFIT_RESOURCES', 'CPU'],
      code: 'invalid_value',
      message: 'TASKFIT_RESOURCES.CPU must be a whole number (node quantities are whole numbers), got 1.5',
    });
    expect((await bad('{"GPU": 0.5}')).path).toEqual(['TASKFIT_RESOURCES', 'GPU']);
    expect((await bad('{"CPU": 1e308}')).message).toBe(
      'TASKFIT_RESOURCES.CPU must be at most 900719925474, got 1e+308',
    );
    expect((await bad('{"CPU": 1.0000001}')).message).toContain('whole number');
    expect(await bad('{"GPU": 100000000}')).toEqual({
      path: ['TASKFIT_RESOURCES', 'GPU'],
      code: 'invalid_value',
      message: 'TASKFIT_RESOURCES.GPU must be at most 1024: a node holds at most 1024 GPU devices, got 100000000',
    });
  });

  it('createLocalNode builds a NodeResources', async () => {
    const node = await createLocalNode(base({ runCommand: smi(FOUR), nodeId: 'local' }));
    expect(node.nodeId).toBe('local');
    expect(node.total).toMatchObject({ CPU: 16, GPU: 4, 'accelerator_type:A100': 1, 'node:local': 1 });
    expect(node.acceleratorType).toBe('A100');
  });
});
