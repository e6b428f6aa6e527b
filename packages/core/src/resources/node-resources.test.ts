import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import { Cluster } from './cluster.js';
import { compileDemand } from './demand.js';
import { AllocationError } from './errors.js';
import type { Allocation } from './allocation.js';
import { NodeResources } from './node-resources.js';
import type { PlacementGroupOptions } from './placement-group.js';

function issuesOf(fn: () => unknown): { path: readonly (string | number)[]; code: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TaskOptionsError);
    return [...(e as TaskOptionsError).issues];
  }
  throw new Error('expected a TaskOptionsError');
}

describe('NodeResources', () => {
  it('advertises node:<id> and accelerator_type:<T>, drops zero entries', () => {
    const n = new NodeResources({ CPU: 8, GPU: 0, memory: 1024 }, { nodeId: 'a', acceleratorType: 'H100' });
    expect(n.nodeId).toBe('a');
    expect(n.total).toEqual({ CPU: 8, memory: 1024, 'node:a': 1, 'accelerator_type:H100': 1 });
    expect(n.available).toEqual(n.total);
    expect(n.isGpuNode).toBe(false);
    expect(n.acceleratorType).toBe('H100');
    expect(new NodeResources({ GPU: 1 }).isGpuNode).toBe(true);
  });

  it('generates distinct node ids when none is given', () => {
    const a = new NodeResources({ CPU: 1 });
    const b = new NodeResources({ CPU: 1 });
    expect(a.nodeId).not.toBe(b.nodeId);
    expect(a.total).toEqual({ CPU: 1 }); // node:<id> only for an explicit id
  });

  it('allocates all or nothing and restores exactly', () => {
    const n = new NodeResources({ CPU: 2, Custom: 3 }, { nodeId: 'n' });
    const a = n.tryAllocate({ CPU: 0.1, Custom: 0.2 })!;
    const b = n.tryAllocate({ CPU: 0.2, Custom: 0.1 })!;
    expect(n.available.CPU).toBe(1.7);
    expect(n.tryAllocate({ CPU: 1, Custom: 5 })).toBeNull();
    expect(n.available.CPU).toBe(1.7);
    expect(n.tryAllocate({ CPU: 1, Missing: 1 })).toBeNull();
    n.release(a);
    n.release(b);
    expect(n.available).toEqual(n.total);
    expect(n.allocationCount).toBe(0);
  });

  it('custom resource 2.7 in use: 0.7 does not fit, 0.3 does', () => {
    const n = new NodeResources({ Custom: 3 });
    expect(n.tryAllocate({ Custom: 2.7 })).not.toBeNull();
    expect(n.tryAllocate({ Custom: 0.7 })).toBeNull();
    expect(n.tryAllocate({ Custom: 0.3 })).not.toBeNull();
    expect(n.available.Custom).toBe(0);
  });

  it('six 0.5-GPU tasks on a 3-GPU node use each GPU exactly twice', () => {
    const n = new NodeResources({ CPU: 6, GPU: 3 });
    const allocs = Array.from({ length: 6 }, () => n.tryAllocate({ CPU: 1, GPU: 0.5 })!);
    const ids = allocs.map((a) => a.gpuIds);
    for (const i of ids) expect(i).toHaveLength(1);
    const counts = [0, 0, 0];
    for (const [i] of ids) counts[i as number]!++;
    expect(counts).toEqual([2, 2, 2]);
    // best fit: the two halves of each GPU are consecutive
    expect(ids.flat()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(n.tryAllocate({ GPU: 0.5 })).toBeNull();
  });

  it('whole GPU requests take distinct fully free devices, lowest index first', () => {
    const n = new NodeResources({ GPU: 4 });
    const frac = n.tryAllocate({ GPU: 0.25 })!;
    expect(frac.gpuIds).toEqual([0]);
    expect(frac.instances).toEqual({ GPU: [{ index: 0, amount: 0.25 }] });
    const two = n.tryAllocate({ GPU: 2 })!;
    expect(two.gpuIds).toEqual([1, 2]);
    expect(two.visibleDevices).toEqual(['1', '2']);
    expect(two.instances).toEqual({
      GPU: [
        { index: 1, amount: 1 },
        { index: 2, amount: 1 },
      ],
    });
    expect(n.tryAllocate({ GPU: 2 })).toBeNull(); // only GPU 3 is fully free
    // fractional best fit goes to the most used device that fits (GPU 0 has 0.75 left)
    expect(n.tryAllocate({ GPU: 0.5 })!.gpuIds).toEqual([0]);
    expect(n.tryAllocate({ GPU: 0.5 })!.gpuIds).toEqual([3]);
    n.release(two);
    expect(n.tryAllocate({ GPU: 2 })!.gpuIds).toEqual([1, 2]);
  });

  it('maps GPU indices through visibleDevices (host CUDA_VISIBLE_DEVICES), UUIDs included', () => {
    const n = new NodeResources({ GPU: 2 }, { visibleDevices: ['GPU-aaa', 'GPU-bbb'] });
    n.tryAllocate({ GPU: 1 });
    const a = n.tryAllocate({ GPU: 1 })!;
    expect(a.gpuIds).toEqual(['GPU-bbb']);
    expect(a.visibleDevices).toEqual(['GPU-bbb']);
    expect(a.instances.GPU).toEqual([{ index: 1, amount: 1 }]);
    const none = n.tryAllocate({ CPU: 0 })!;
    expect(none.gpuIds).toEqual([]);
    expect(none.visibleDevices).toEqual([]);
  });

  it('models other unit-instance resources (TPU, neuron_cores) as devices', () => {
    const n = new NodeResources({ TPU: 2, neuron_cores: 2 });
    const a = n.tryAllocate({ TPU: 0.5, neuron_cores: 2 })!;
    expect(a.instances).toEqual({
      TPU: [{ index: 0, amount: 0.5 }],
      neuron_cores: [
        { index: 0, amount: 1 },
        { index: 1, amount: 1 },
      ],
    });
    expect(a.gpuIds).toEqual([]);
  });

  it('release: double release, foreign allocation and non-allocations throw and change nothing', () => {
    const n = new NodeResources({ CPU: 2 }, { nodeId: 'n1' });
    const m = new NodeResources({ CPU: 2 }, { nodeId: 'n2' });
    const a = n.tryAllocate({ CPU: 1 })!;
    const b = m.tryAllocate({ CPU: 1 })!;
    expect(() => n.release(b)).toThrow(AllocationError);
    expect(() => n.release(b)).toThrow('allocation belongs to node n2, not to node n1');
    try {
      n.release(b);
    } catch (e) {
      expect((e as AllocationError).code).toBe('foreign_allocation');
      expect((e as AllocationError).name).toBe('AllocationError');
    }
    expect(n.available.CPU).toBe(1);
    n.release(a);
    expect(() => n.release(a)).toThrow('allocation on node n1 was already released');
    try {
      n.release(a);
    } catch (e) {
      expect((e as AllocationError).code).toBe('double_release');
    }
    expect(n.available.CPU).toBe(2);
    expect(() => n.release({ nodeId: 'n1' } as unknown as Allocation)).toThrow(
      'release() expects an Allocation returned by tryAllocate/schedule',
    );
    expect(a.live).toBe(false);
    expect(b.live).toBe(true);
  });

  it('allocations serialise to plain data', () => {
    const n = new NodeResources({ CPU: 1, GPU: 1 }, { nodeId: 'x' });
    const a = n.tryAllocate({ CPU: 1, GPU: 0.5 })!;
    expect(JSON.parse(JSON.stringify(a))).toEqual({
      nodeId: 'x',
      resources: { CPU: 1, GPU: 0.5 },
      gpuIds: [0],
      visibleDevices: ['0'],
      instances: { GPU: [{ index: 0, amount: 0.5 }] },
    });
    expect(structuredClone(a.toJSON()).gpuIds).toEqual([0]);
  });

  it('canEverFit names the missing resource', () => {
    const n = new NodeResources({ CPU: 4, GPU: 1 }, { nodeId: 'n' });
    expect(n.canEverFit({ CPU: 4, GPU: 1 })).toBeNull();
    expect(n.canEverFit({ CPU: 5 })).toBe('needs CPU 5; node n has CPU 4');
    expect(n.canEverFit({ GPU: 2 })).toBe('needs GPU 2; node n has 1 whole GPU device');
    expect(n.canEverFit({ TPU: 1 })).toBe('needs TPU 1; node n has no TPU');
    expect(n.canEverFit({ 'accelerator_type:A100': 0.001 })).toBe(
      'needs accelerator_type:A100 0.001; node n has no accelerator_type:A100',
    );
    expect(new NodeResources({ GPU: 3 }, { nodeId: 'g' }).canEverFit({ GPU: 4 })).toBe(
      'needs GPU 4; node g has 3 whole GPU devices',
    );
  });

  it('keeps memory in whole bytes, exact even for terabytes', () => {
    const tb = 2 * 2 ** 40;
    const n = new NodeResources({ CPU: 1, memory: tb });
    const a = n.tryAllocate({ memory: 2 ** 40 + 1 })!;
    expect(n.available.memory).toBe(2 ** 40 - 1);
    n.release(a);
    expect(n.available.memory).toBe(tb);
    expect(issuesOf(() => n.tryAllocate({ memory: 0.5 }))[0]).toEqual({
      path: ['demand', 'memory'],
      code: 'invalid_value',
      message: 'demand.memory must be 0 or at least 1 byte (bytes are counted whole), got 0.5',
    });
    // A computed byte count is rounded down to whole bytes, as validation does.
    const c = n.tryAllocate({ memory: 2.5e9 / 3 })!;
    expect(c.resources).toEqual({ memory: 833333333 });
    n.release(c);
  });

  it('rejects invalid demands with code and path', () => {
    const n = new NodeResources({ CPU: 4, GPU: 2 });
    expect(issuesOf(() => n.tryAllocate({ GPU: 1.5 }))).toEqual([
      {
        path: ['demand', 'GPU'],
        code: 'invalid_value',
        message:
          'demand.GPU must be below 1 or a whole number (GPU is a unit-instance resource: fractions share one device), got 1.5',
      },
    ]);
    expect(issuesOf(() => n.tryAllocate({ CPU: Number.NaN, GPU: -1 }))).toEqual([
      { path: ['demand', 'CPU'], code: 'invalid_value', message: 'demand.CPU must be a finite number, got NaN' },
      { path: ['demand', 'GPU'], code: 'invalid_value', message: 'demand.GPU must be non-negative, got -1' },
    ]);
    expect(issuesOf(() => n.tryAllocate({ CPU: '1' as unknown as number }))[0]).toMatchObject({
      code: 'invalid_type',
      message: 'demand.CPU must be a number, got string',
    });
    expect(issuesOf(() => n.tryAllocate({ CPU: 0.00001 }))[0]!.message).toBe(
      'demand.CPU must be 0 or at least 0.0001 (the finest resource precision), got 0.00001',
    );
    // A computed quantity is rounded to the nearest 0.0001, and held as rounded.
    const third = n.tryAllocate({ CPU: 1 / 3 })!;
    expect(third.resources).toEqual({ CPU: 0.3333 });
    expect(n.available.CPU).toBe(3.6667);
    n.release(third);
    expect(issuesOf(() => n.tryAllocate(JSON.parse('{"__proto__": 1}')))[0]).toEqual({
      path: ['demand', '__proto__'],
      code: 'invalid_value',
      message: 'demand.__proto__ is a forbidden resource name',
    });
    expect(issuesOf(() => n.tryAllocate(null as unknown as Record<string, number>))[0]).toEqual({
      path: ['demand'],
      code: 'invalid_type',
      message: 'demand must be an object of resource quantities, got null',
    });
  });

  it('validates node totals and options with code and path', () => {
    expect(issuesOf(() => new NodeResources({ CPU: 1.5 }))[0]).toEqual({
      path: ['total', 'CPU'],
      code: 'invalid_value',
      message: 'total.CPU must be a whole number (node quantities are whole numbers), got 1.5',
    });
    expect(issuesOf(() => new NodeResources({ GPU: 0.5 }))[0]!.path).toEqual(['total', 'GPU']);
    expect(issuesOf(() => new NodeResources({ Custom: 2.5 }))[0]!.message).toContain('whole number');
    expect(issuesOf(() => new NodeResources({ CPU: -1 }))[0]!.message).toBe('total.CPU must be non-negative, got -1');
    expect(issuesOf(() => new NodeResources({ CPU: Infinity }))[0]!.message).toBe(
      'total.CPU must be a finite number, got Infinity',
    );
    expect(issuesOf(() => new NodeResources({ CPU: 'x' as unknown as number }))[0]).toMatchObject({
      code: 'invalid_type',
      message: 'total.CPU must be a number, got string',
    });
    expect(issuesOf(() => new NodeResources(JSON.parse('{"constructor": 1}')))[0]!.message).toBe(
      'total.constructor is a forbidden resource name',
    );
    expect(issuesOf(() => new NodeResources([] as unknown as Record<string, number>))[0]).toEqual({
      path: ['total'],
      code: 'invalid_type',
      message: 'total must be an object of resource quantities, got an array',
    });
    expect(issuesOf(() => new NodeResources({ CPU: 1 }, { nodeId: '' }))[0]).toEqual({
      path: ['options', 'nodeId'],
      code: 'invalid_type',
      message: 'options.nodeId must be a non-empty string, got ""',
    });
    expect(issuesOf(() => new NodeResources({ CPU: 1 }, { labels: { a: 1 as unknown as string } }))[0]).toEqual({
      path: ['options', 'labels', 'a'],
      code: 'invalid_type',
      message: 'options.labels.a must be a string, got number 1',
    });
    expect(
      issuesOf(() => new NodeResources({ CPU: 1 }, { labels: 'x' as unknown as Record<string, string> }))[0]!.path,
    ).toEqual(['options', 'labels']);
    expect(issuesOf(() => new NodeResources({ CPU: 1 }, { acceleratorType: 'a:b' }))[0]).toEqual({
      path: ['options', 'acceleratorType'],
      code: 'invalid_value',
      message: `options.acceleratorType must be a non-empty string without ':', got "a:b"`,
    });
    expect(issuesOf(() => new NodeResources({ GPU: 2 }, { visibleDevices: ['0'] }))[0]).toEqual({
      path: ['options', 'visibleDevices'],
      code: 'invalid_value',
      message: 'options.visibleDevices lists 1 device but total.GPU is 2',
    });
    expect(issuesOf(() => new NodeResources({ GPU: 1 }, { visibleDevices: [''] }))[0]).toEqual({
      path: ['options', 'visibleDevices', 0],
      code: 'invalid_value',
      message: 'options.visibleDevices[0] must be a non-empty device id',
    });
    expect(issuesOf(() => new NodeResources({ GPU: 1 }, { visibleDevices: '0' as never }))[0]).toEqual({
      path: ['options', 'visibleDevices'],
      code: 'invalid_type',
      message: 'options.visibleDevices must be an array of non-empty strings, got "0"',
    });
    // all issues at once
    expect(issuesOf(() => new NodeResources({ CPU: -1, GPU: 0.5 }, { nodeId: '' }))).toHaveLength(3);
  });

  it('compiled demands can be reused', () => {
    const n = new NodeResources({ CPU: 2, GPU: 1 });
    const req = compileDemand({ CPU: 1, GPU: 0.5, X: 0 });
    expect(req.keys).toEqual(['CPU', 'GPU']);
    expect(req.resources).toEqual({ CPU: 1, GPU: 0.5 });
    const a = n.tryAllocate(req)!;
    const b = n.tryAllocate(req)!;
    expect(n.tryAllocate(req)).toBeNull();
    expect(n.canAllocate(req)).toBe(false);
    n.release(a);
    n.release(b);
    expect(n.available).toEqual(n.total);
  });

  it('available snapshots are frozen and refreshed after each change', () => {
    const n = new NodeResources({ CPU: 2 });
    const before = n.available;
    expect(Object.isFrozen(before)).toBe(true);
    const a = n.tryAllocate({ CPU: 1 })!;
    expect(before.CPU).toBe(2);
    expect(n.available.CPU).toBe(1);
    expect(n.allocations()).toEqual([a]);
  });
});

describe('visibleDevices entries (issue 9 item 10)', () => {
  it("rejects an entry with ',' (it would give a task two GPUs), empty entries and duplicates, with the entry's path", () => {
    expect(issuesOf(() => new NodeResources({ GPU: 1 }, { visibleDevices: ['0,1'] }))).toEqual([
      {
        path: ['options', 'visibleDevices', 0],
        code: 'invalid_value',
        message:
          'options.visibleDevices[0] must be one device id without \',\' (it becomes one entry of CUDA_VISIBLE_DEVICES), got "0,1"',
      },
    ]);
    expect(issuesOf(() => new NodeResources({ GPU: 2 }, { visibleDevices: ['3', '3'] }))).toEqual([
      {
        path: ['options', 'visibleDevices', 1],
        code: 'invalid_value',
        message:
          'options.visibleDevices[1] lists device "3" a second time (each device may be given to one GPU slot only)',
      },
    ]);
    expect(issuesOf(() => new NodeResources({ GPU: 2 }, { visibleDevices: ['1', ' '] }))[0]!.path).toEqual([
      'options',
      'visibleDevices',
      1,
    ]);
    expect(issuesOf(() => new NodeResources({ GPU: 1 }, { visibleDevices: [7 as unknown as string] }))[0]).toEqual({
      path: ['options', 'visibleDevices', 0],
      code: 'invalid_type',
      message: 'options.visibleDevices[0] must be a string, got number 7',
    });
    const ok = new NodeResources({ GPU: 2 }, { visibleDevices: ['GPU-a', 'GPU-b', 'GPU-c'] });
    expect(ok.tryAllocate({ GPU: 2 })!.visibleDevices).toEqual(['GPU-a', 'GPU-b']);
  });
});

describe('user input is read once (issue 9 item 10)', () => {
  /** An object whose `key` getter counts reads and answers `first`, then `later`. */
  function shifty<T>(key: string, first: T, later: T): { obj: Record<string, T>; reads: () => number } {
    let reads = 0;
    const obj = {} as Record<string, T>;
    Object.defineProperty(obj, key, { enumerable: true, get: () => (reads++ === 0 ? first : later) });
    return { obj, reads: () => reads };
  }

  it('NodeResources: total, options fields and visibleDevices items', () => {
    const total = shifty('GPU', 1, 2);
    const devices = ['0'];
    let deviceReads = 0;
    Object.defineProperty(devices, 0, { enumerable: true, get: () => (deviceReads++ === 0 ? '0' : '0,1') });
    const labels = shifty('zone', 'a', 'b');
    const options = {} as Record<string, unknown>;
    let optionReads = 0;
    for (const [k, v] of Object.entries({ nodeId: 'n', labels: labels.obj, visibleDevices: devices })) {
      Object.defineProperty(options, k, { enumerable: true, get: () => (optionReads++, v) });
    }
    const n = new NodeResources(total.obj, options);
    expect([total.reads(), deviceReads, labels.reads(), optionReads]).toEqual([1, 1, 1, 3]);
    expect(n.total.GPU).toBe(1);
    expect(n.labels).toEqual({ zone: 'a' });
    expect(n.tryAllocate({ GPU: 1 })!.visibleDevices).toEqual(['0']);
    expect(deviceReads).toBe(1);
    // Later changes do not reach the node.
    const plain = ['0'];
    const m = new NodeResources({ GPU: 1 }, { visibleDevices: plain, labels: { zone: 'a' } });
    plain[0] = '0,1';
    expect(m.tryAllocate({ GPU: 1 })!.visibleDevices).toEqual(['0']);
  });

  it('demands and placement-group options', () => {
    const demand = shifty('CPU', 1, 1e9);
    expect(compileDemand(demand.obj).resources).toEqual({ CPU: 1 });
    expect(demand.reads()).toBe(1);

    const c = new Cluster().addNode(new NodeResources({ CPU: 4 }, { nodeId: 'n' }));
    const bundle = shifty('CPU', 1, 100);
    const opts = shifty('name', 'ok', 5 as unknown as string);
    Object.defineProperty(opts.obj, 'bundles', { enumerable: true, value: [bundle.obj] });
    const pg = c.createPlacementGroup(opts.obj as unknown as PlacementGroupOptions);
    expect([bundle.reads(), opts.reads()]).toEqual([1, 1]);
    expect(pg.name).toBe('ok');
    expect(pg.bundles).toEqual([{ index: 0, resources: { CPU: 1 }, nodeId: 'n' }]);
  });

  it('Cluster.schedule: options and the strategy', () => {
    const c = new Cluster().addNode(new NodeResources({ CPU: 4 }, { nodeId: 'n', labels: { zone: 'a' } }));
    const opts = shifty('labelSelector', { zone: 'a' } as Record<string, string>, { zone: 'b' });
    expect(c.schedule({ CPU: 1 }, 'DEFAULT', opts.obj).status).toBe('scheduled');
    expect(opts.reads()).toBe(1);
    const strategy = shifty('nodeId', 'n', 'elsewhere');
    Object.defineProperty(strategy.obj, 'type', { enumerable: true, value: 'nodeAffinity' });
    expect(c.schedule({ CPU: 1 }, strategy.obj as never)).toMatchObject({ status: 'scheduled', nodeId: 'n' });
    expect(strategy.reads()).toBe(1);
  });
});

describe('releaseCpu / reacquireCpu (a task blocked on its children, Ray: CPU only)', () => {
  it('gives back only the CPUs; the GPU share and its id stay with the allocation', () => {
    const n = new NodeResources({ CPU: 2, GPU: 2, licence: 1 }, { nodeId: 'n' });
    const a = n.tryAllocate({ CPU: 1.5, GPU: 1, licence: 1 })!;
    expect(a.gpuIds).toEqual([0]);
    expect(n.releaseCpu(a)).toBe(true);
    expect(a.cpuReleased).toBe(true);
    expect(n.available).toMatchObject({ CPU: 2, GPU: 1, licence: 0 });
    expect(n.releaseCpu(a)).toBe(false); // already given back: nothing changes
    expect(n.available.CPU).toBe(2);
    // Another task takes the CPU meanwhile: reacquiring waits until it fits again.
    const b = n.tryAllocate({ CPU: 1 })!;
    expect(n.reacquireCpu(a)).toBe(false);
    expect(a.cpuReleased).toBe(true);
    n.release(b);
    expect(n.reacquireCpu(a)).toBe(true);
    expect(a.cpuReleased).toBe(false);
    expect(n.available).toMatchObject({ CPU: 0.5, GPU: 1, licence: 0 });
    expect(n.reacquireCpu(a)).toBe(true); // holds them: nothing to do
    n.release(a);
    expect(n.available).toEqual(n.total);
  });

  it('releasing an allocation whose CPUs are out returns exactly what it still holds', () => {
    const n = new NodeResources({ CPU: 4, GPU: 1 }, { nodeId: 'n' });
    const a = n.tryAllocate({ CPU: 2, GPU: 0.5 })!;
    n.releaseCpu(a);
    n.release(a);
    expect(n.available).toEqual(n.total);
    expect(() => n.releaseCpu(a)).toThrow(AllocationError);
    expect(() => n.reacquireCpu(a)).toThrow(AllocationError);
    expect(n.releaseCpu(n.tryAllocate({ GPU: 1 })!)).toBe(false); // no CPU to give back
  });

  it('works on placement-group bundles through the cluster: the CPU goes back to the bundle', () => {
    const c = new Cluster();
    c.addNode(new NodeResources({ CPU: 4 }, { nodeId: 'n' }));
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 1 }], strategy: 'PACK' });
    const inPg = { type: 'placementGroup' as const, placementGroup: pg };
    const r = c.schedule({ CPU: 1 }, inPg);
    if (r.status !== 'scheduled') throw new Error('expected scheduled');
    expect(c.schedule({ CPU: 1 }, inPg).status).toBe('waiting');
    expect(c.releaseCpu(r.allocation)).toBe(true);
    const child = c.schedule({ CPU: 1 }, inPg);
    expect(child.status).toBe('scheduled');
    expect(c.reacquireCpu(r.allocation)).toBe(false);
    if (child.status === 'scheduled') c.release(child.allocation);
    expect(c.reacquireCpu(r.allocation)).toBe(true);
    expect(c.release(r.allocation)).toBe(true);
    c.removePlacementGroup(pg);
    expect(c.getNode('n')!.available.CPU).toBe(4);
    const other = new Cluster();
    other.addNode(new NodeResources({ CPU: 1 }, { nodeId: 'o' }));
    const foreign = other.schedule({ CPU: 1 });
    if (foreign.status === 'scheduled') expect(() => c.releaseCpu(foreign.allocation)).toThrow(AllocationError);
  });
});
