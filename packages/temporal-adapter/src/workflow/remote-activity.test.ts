import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '@taskfit/core';
import { remoteActivities, remoteActivity } from './remote-activity.js';

interface Acts {
  train(dataset: string): Promise<string>;
  split(x: number): Promise<[number, number]>;
}

describe('remoteActivity (outside a workflow: declaration and options only)', () => {
  it('validates options when declared and in .options(), naming code and path', () => {
    expect(() => remoteActivity<Acts, 'train'>('train', { numGpus: 1.5 })).toThrow(TaskOptionsError);
    const train = remoteActivity<Acts, 'train'>('train', { numGpus: 1, maxCalls: 2 });
    try {
      train.options({ maxCalls: 3 });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'not_overridable', path: ['maxCalls'] });
    }
    expect(() =>
      remoteActivity<Acts, 'train'>('train', { _metadata: { 'temporal.io/activity': { heartbeatTimeout: 'soon' } } }),
    ).toThrow(/heartbeatTimeout must be a positive duration/);
  });

  it('.options() returns a new declaration; the original keeps its routing and retry policy', () => {
    const base = remoteActivity<Acts, 'train'>('train', { maxRetries: 0 });
    const gpu = base.options({ numGpus: 1, acceleratorType: 'H100', maxRetries: 2 });
    expect(base.activityOptions('q')).toMatchObject({ taskQueue: 'q', retry: { maximumAttempts: 1 } });
    expect(gpu.activityOptions('q')).toMatchObject({
      taskQueue: 'q@CPU=1,GPU=1,accelerator_type:H100=0.001',
      retry: { maximumAttempts: 3 },
    });
    expect(gpu.taskOptions).toMatchObject({ numGpus: 1, acceleratorType: 'H100', maxRetries: 2 });
    expect(base.taskOptions).toEqual({ maxRetries: 0 });
  });

  it('remoteActivities gives one declaration per activity name with shared options', () => {
    const acts = remoteActivities<Acts>({ numGpus: 0.5 });
    expect(acts.train.activityType).toBe('train');
    expect(acts.split.activityOptions('q').taskQueue).toBe('q@CPU=1,GPU=0.5');
    expect(acts.train).toBe(acts.train);
  });
});
