import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resourceClassKey, taskQueueName } from './naming.js';

describe('taskQueueName', () => {
  it('names the default class by the base alone and others by their sorted demand', () => {
    expect(taskQueueName('jobs', { CPU: 1 })).toBe('jobs');
    expect(taskQueueName('jobs', { CPU: 2 })).toBe('jobs@CPU=2');
    expect(taskQueueName('jobs', { GPU: 0.5, CPU: 1 })).toBe('jobs@CPU=1,GPU=0.5');
    expect(taskQueueName('jobs', { CPU: 1, GPU: 1, 'accelerator_type:H100': 0.001 })).toBe(
      'jobs@CPU=1,GPU=1,accelerator_type:H100=0.001',
    );
    expect(taskQueueName('jobs', {})).toBe('jobs@-');
    expect(taskQueueName('jobs', { CPU: 0, GPU: 0.25 })).toBe('jobs@GPU=0.25');
    expect(taskQueueName('jobs', { 'my licence,x=1': 1 })).toBe('jobs@my%20licence%2Cx%3D1=1');
    expect(taskQueueName('jobs', { memory: 8_000_000_000 })).toBe('jobs@memory=8000000000');
  });

  it('adds the node for hard affinity', () => {
    expect(taskQueueName('jobs', { CPU: 1 }, 'gpu-box-3')).toBe('jobs@node:gpu-box-3');
    expect(taskQueueName('jobs', { CPU: 1, GPU: 1 }, 'a@b')).toBe('jobs@CPU=1,GPU=1@node:a%40b');
  });

  it('rejects a base that is empty or contains @, and an empty node id', () => {
    expect(() => taskQueueName('', {})).toThrow(/non-empty string without '@'/);
    expect(() => taskQueueName('a@b', {})).toThrow(/without '@'/);
    expect(() => taskQueueName('a', {}, '')).toThrow(/nodeId/);
  });

  it('is collision-free: different demands never share a queue', () => {
    const name = fc.string({ minLength: 1, maxLength: 6 });
    const qty = fc.integer({ min: 1, max: 40_000 }).map((u) => u / 10_000);
    const demand = fc.dictionary(name, qty, { maxKeys: 3 });
    fc.assert(
      fc.property(demand, demand, (a, b) => {
        const same = JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
        const isDefault = (d: Record<string, number>) => Object.keys(d).length === 1 && d['CPU'] === 1;
        if (!same && !(isDefault(a) && isDefault(b))) expect(resourceClassKey(a)).not.toBe(resourceClassKey(b));
      }),
    );
  });
});
