import { describe, expect, it } from 'vitest';
import { decodeTaskEnvelope, encodeTaskEnvelope, ENVELOPE_KEY } from './envelope.js';
import type { TaskWireOptions } from './envelope.js';

const wire: TaskWireOptions = {
  v: 1,
  demand: { CPU: 1 },
  numReturns: 1,
  maxRetries: 3,
  retryExceptions: false,
  enableTaskEvents: true,
  maxCalls: 0,
};

describe('task envelope', () => {
  it('round-trips options and arguments through JSON', () => {
    const env = JSON.parse(JSON.stringify(encodeTaskEnvelope(wire, [1, 'a', { b: [2] }]))) as unknown;
    expect(decodeTaskEnvelope([env])).toEqual({ options: wire, args: [1, 'a', { b: [2] }] });
  });

  it('leaves plain activity input alone', () => {
    expect(decodeTaskEnvelope([])).toBeUndefined();
    expect(decodeTaskEnvelope([1, 2])).toBeUndefined();
    expect(decodeTaskEnvelope([{ args: [] }])).toBeUndefined();
  });

  it('rejects a malformed envelope with a TypeError naming the expected shape', () => {
    expect(() => decodeTaskEnvelope([{ [ENVELOPE_KEY]: { v: 2, demand: {} }, args: [] }])).toThrow(TypeError);
    expect(() => decodeTaskEnvelope([{ [ENVELOPE_KEY]: { v: 1, demand: {} }, args: 'x' }])).toThrow(
      /malformed taskfit envelope/,
    );
  });
});
