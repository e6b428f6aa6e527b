import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import { Cluster } from '../resources/cluster.js';
import { NodeResources } from '../resources/node-resources.js';
import { isRemoteFunction, remote } from './remote.js';

function add(a: number, b: number): number {
  return a + b;
}

describe('remote()', () => {
  it('binds a function to validated options', () => {
    const rf = remote(add, { numCpus: 2 });
    expect(rf.fn).toBe(add);
    expect(rf.name).toBe('add');
    expect(rf.taskOptions).toEqual({ numCpus: 2 });
    expect(rf.resolvedOptions.numCpus).toBe(2);
    expect(rf.resolvedOptions.maxRetries).toBe(3);
    expect(isRemoteFunction(rf)).toBe(true);
    expect(isRemoteFunction(add)).toBe(false);
  });

  it('is not callable', () => {
    const rf = remote(add);
    expect(typeof rf).toBe('object');
    expect(() => (rf as unknown as () => void)()).toThrow(TypeError);
  });

  it('name: options.name, else fn.name, else anonymous', () => {
    expect(remote(add, { name: 'sum' }).name).toBe('sum');
    expect(remote(() => 1).name).toBe('anonymous');
    const named = () => 1;
    expect(remote(named).name).toBe('named');
  });

  it('validates at definition, maxCalls allowed', () => {
    expect(remote(add, { maxCalls: 3 }).resolvedOptions.maxCalls).toBe(3);
    expect(() => remote(add, { numGpus: 1.5 })).toThrow(TaskOptionsError);
    expect(() => remote(add, { num_gpus: 1 } as never)).toThrow(/did you mean numGpus/);
    expect(() => remote('nope' as never)).toThrow(TypeError);
  });

  it('.options() merges onto the previous options and is chainable', () => {
    const base = remote(add, { numCpus: 2, _metadata: { ns: { a: 1 } } });
    const a = base.options({ numGpus: 0.5 });
    const b = a.options({ maxRetries: 0, _metadata: { ns: { b: 2 } } });
    expect(base.taskOptions).toEqual({ numCpus: 2, _metadata: { ns: { a: 1 } } });
    expect(a.taskOptions).toEqual({ numCpus: 2, numGpus: 0.5, _metadata: { ns: { a: 1 } } });
    expect(b.taskOptions).toEqual({ numCpus: 2, numGpus: 0.5, maxRetries: 0, _metadata: { ns: { a: 1, b: 2 } } });
    expect(b.fn).toBe(add);
    expect(b).not.toBe(a);
  });

  it('.options() cannot set maxCalls, whatever its value', () => {
    const rf = remote(add, { maxCalls: 2 });
    for (const v of [0, 1, undefined]) {
      try {
        rf.options({ maxCalls: v } as never);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(TaskOptionsError);
        expect((e as TaskOptionsError).code).toBe('not_overridable');
        expect((e as TaskOptionsError).path).toEqual(['maxCalls']);
      }
    }
    // The definition's maxCalls survives overrides.
    expect(rf.options({ numGpus: 1 }).resolvedOptions.maxCalls).toBe(2);
  });

  it('GPU ⇒ maxCalls 1 applies to the effective options (Ray issue #47767)', () => {
    expect(remote(add).options({ numGpus: 1 }).resolvedOptions.maxCalls).toBe(1);
    expect(remote(add, { numGpus: 1, maxCalls: 0 }).resolvedOptions.maxCalls).toBe(0);
  });

  it('.options({ numGpus: 0 }) on a GPU task drops the GPU default: maxCalls 0 (Ray keeps 1; docs/decisions.md)', () => {
    const gpu = remote(add, { numGpus: 1 });
    expect(gpu.resolvedOptions.maxCalls).toBe(1);
    const cpu = gpu.options({ numGpus: 0 });
    expect(cpu.resolvedOptions.maxCalls).toBe(0); // no GPU held, so no reason to retire the worker
    expect(cpu.taskOptions).not.toHaveProperty('maxCalls'); // the default, not a setting: it follows numGpus
    expect(cpu.options({ numGpus: 0.5 }).resolvedOptions.maxCalls).toBe(1);
    // A maxCalls the definition set is kept whatever numGpus becomes.
    expect(remote(add, { numGpus: 1, maxCalls: 3 }).options({ numGpus: 0 }).resolvedOptions.maxCalls).toBe(3);
  });

  it('.options() with an empty runtimeEnv keeps the definition', () => {
    const rf = remote(add, { runtimeEnv: { envVars: { A: '1' } } });
    expect(rf.options({ runtimeEnv: {} }).taskOptions.runtimeEnv).toEqual({ envVars: { A: '1' } });
  });

  it('reports override issues with their paths', () => {
    try {
      remote(add).options({ numCpus: -1, resources: { GPU: 1 } });
      expect.unreachable();
    } catch (e) {
      expect((e as TaskOptionsError).issues.map((i) => i.path)).toEqual([['numCpus'], ['resources', 'GPU']]);
    }
  });

  it('is immutable, and not affected by later changes to the input', () => {
    const opts = { resources: { licence: 1 }, runtimeEnv: { envVars: { A: '1' } } };
    const rf = remote(add, opts);
    opts.resources.licence = 5;
    expect(rf.taskOptions.resources).toEqual({ licence: 1 });
    expect(Object.isFrozen(rf)).toBe(true);
    expect(Object.isFrozen(rf.taskOptions)).toBe(true);
    expect(Object.isFrozen(rf.taskOptions.resources)).toBe(true);
    expect(Object.isFrozen(rf.resolvedOptions)).toBe(true);
    expect(() => {
      (rf.taskOptions.resources as Record<string, number>).licence = 9;
    }).toThrow(TypeError);
  });

  it('does not freeze a caller-owned placement-group handle', () => {
    const pg = { id: 'pg1', state: 'CREATED' };
    const rf = remote(add, { schedulingStrategy: { type: 'placementGroup', placementGroup: pg } });
    expect(Object.isFrozen(pg)).toBe(false);
    expect((rf.taskOptions.schedulingStrategy as { placementGroup: unknown }).placementGroup).toEqual({ id: 'pg1' });
    const real = new Cluster().addNode(new NodeResources({ CPU: 1 })).createPlacementGroup({ bundles: [{ CPU: 1 }] });
    const kept = remote(add, { schedulingStrategy: { type: 'placementGroup', placementGroup: real } });
    expect((kept.taskOptions.schedulingStrategy as { placementGroup: unknown }).placementGroup).toBe(real);
    expect(Object.isFrozen(real)).toBe(false);
  });
});
