import { describe, expect, it, vi } from 'vitest';
import vm from 'node:vm';
import * as core from './task-errors.js';
import { TaskFailure, TaskTimeoutError } from './task-errors.js';

type Module = typeof core;

/** One instance of each executor error, made with the classes of `m`. */
const makers: [string, (m: Module) => TaskFailure][] = [
  ['TaskError', (m) => new m.TaskError('t1', 2, 'HttpError', ['HttpError', 'Error'], 'boom')],
  ['WorkerCrashedError', (m) => new m.WorkerCrashedError('t1', 2, 'worker_exit', 'thread exited')],
  ['TaskCancelledError', (m) => new m.TaskCancelledError('t1', 2, 'aborted')],
  ['InfeasibleTaskError', (m) => new m.InfeasibleTaskError('t1', 'no node has GPU')],
  ['TaskTimeoutError', (m) => new m.TaskTimeoutError('t1', 2, 'START_TO_CLOSE', 'ran past 5s')],
];
const here: Module = core;

/** A second copy of this module, as a bundle, a sandbox or another package version loads its own. */
async function anotherCopy(): Promise<Module> {
  vi.resetModules();
  const copy = await import('./task-errors.js');
  expect(copy.TaskTimeoutError).not.toBe(TaskTimeoutError);
  return copy;
}

describe.each(makers)('%s', (name, make) => {
  const cls = here[name as keyof Module] as abstract new (...args: never[]) => TaskFailure;

  it('has a stable name, is a TaskFailure and an Error, and is no other executor error', () => {
    const e = make(here);
    expect(e.name).toBe(name);
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(TaskFailure);
    expect(e).toBeInstanceOf(Error);
    for (const [other, makeOther] of makers) {
      if (other !== name) expect(makeOther(here)).not.toBeInstanceOf(cls);
    }
  });

  it('instanceof holds across copies of the module and realms (the Symbol.for brand), not by shape', async () => {
    const copy = await anotherCopy();
    expect(make(copy)).toBeInstanceOf(cls);
    expect(make(here)).toBeInstanceOf(copy[name as keyof Module] as typeof cls);
    const branded = vm.runInContext(`({ [Symbol.for('taskfit.${name}')]: true })`, vm.createContext({})) as object;
    expect(branded).toBeInstanceOf(cls);
    expect({ ...make(here).toJSON() }).not.toBeInstanceOf(cls);
    expect(Object.assign(new Error('x'), { name })).not.toBeInstanceOf(cls);
  });

  it('survives structured cloning as plain data (toJSON)', () => {
    const e = make(here);
    const data = structuredClone(e.toJSON());
    expect(data).toMatchObject({ name, taskId: 't1', message: e.message });
  });
});

describe('TaskTimeoutError', () => {
  it('names the timeout, the attempts and the task queue; keeps the cause', () => {
    const cause = new Error('TimeoutFailure');
    const e = new TaskTimeoutError('t9', 0, 'SCHEDULE_TO_START', 'no machine started it', {
      cause,
      taskQueue: 'jobs@CPU=1,GPU=1',
    });
    expect(e.message).toBe('task t9 timed out (SCHEDULE_TO_START): no machine started it');
    expect(e).toMatchObject({
      taskId: 't9',
      attempts: 0,
      timeoutType: 'SCHEDULE_TO_START',
      taskQueue: 'jobs@CPU=1,GPU=1',
    });
    expect(e.cause).toBe(cause);
    expect(structuredClone(e.toJSON())).toEqual({
      name: 'TaskTimeoutError',
      message: e.message,
      taskId: 't9',
      attempts: 0,
      timeoutType: 'SCHEDULE_TO_START',
      taskQueue: 'jobs@CPU=1,GPU=1',
    });
    expect(new TaskTimeoutError('t9', 3, 'SCHEDULE_TO_CLOSE', 'too long').taskQueue).toBeUndefined();
  });
});
