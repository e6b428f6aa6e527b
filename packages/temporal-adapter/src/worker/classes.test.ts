import { describe, expect, it } from 'vitest';
import { NodeResources } from '@taskfit/core';
import { defaultClasses, selectClasses } from './classes.js';

const h100 = new NodeResources({ CPU: 4, GPU: 2 }, { acceleratorType: 'H100' });
const keys = (declared: Parameters<typeof selectClasses>[0], untyped = true) => [
  ...selectClasses(declared, h100, untyped).demands.keys(),
];

describe('selectClasses', () => {
  it('a class typed with the machine accelerator brings its untyped variant, just before it', () => {
    expect(keys([{}, { numGpus: 0.5, acceleratorType: 'H100' }])).toEqual([
      '',
      'CPU=1,GPU=0.5',
      'CPU=1,GPU=0.5,accelerator_type:H100=0.001',
    ]);
    // Already declared: not twice.
    expect(keys([{ numGpus: 1 }, { numGpus: 1, acceleratorType: 'H100' }])).toEqual([
      'CPU=1,GPU=1',
      'CPU=1,GPU=1,accelerator_type:H100=0.001',
    ]);
  });

  it('untypedGpuClasses: false keeps the GPUs for typed tasks', () => {
    expect(keys([{ numGpus: 1, acceleratorType: 'H100' }], false)).toEqual(['CPU=1,GPU=1,accelerator_type:H100=0.001']);
  });

  it('another accelerator type is skipped with a reason, and brings no untyped variant', () => {
    const s = selectClasses([{ numGpus: 1, acceleratorType: 'A100' }], h100, true);
    expect([...s.demands.keys()]).toEqual([]);
    expect(s.skipped).toHaveLength(1);
    expect(s.skipped[0]!.reason).toMatch(/A100/);
  });

  it('default classes: {} and a whole GPU (typed on a typed machine) when the machine has one', () => {
    expect(defaultClasses(h100)).toEqual([{}, { numGpus: 1, acceleratorType: 'H100' }]);
    expect(defaultClasses(new NodeResources({ CPU: 2 }))).toEqual([{}]);
    expect(defaultClasses(new NodeResources({ CPU: 2, GPU: 1 }))).toEqual([{}, { numGpus: 1 }]);
  });
});
