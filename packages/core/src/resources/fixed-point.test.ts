import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateTaskOptions } from '../options/validate.js';
import { compileDemand } from './demand.js';
import { RESOURCE_UNIT_SCALING, fromUnits, toUnits } from './fixed-point.js';

describe('fixed point', () => {
  it('scales by 10000 and rounds to the nearest unit (0.57 is 5700, not Ray’s 5699)', () => {
    expect(RESOURCE_UNIT_SCALING).toBe(10000);
    expect(toUnits(0.57)).toBe(5700);
    expect(toUnits(0.29)).toBe(2900);
    expect(toUnits(0.3)).toBe(3000);
    expect(toUnits(0.0001)).toBe(1);
    expect(toUnits(1.0001)).toBe(10001);
    expect(toUnits(0)).toBe(0);
    expect(Object.is(toUnits(-0), 0)).toBe(true);
    expect(toUnits(0.57) + toUnits(0.43)).toBe(10000);
  });

  it('round-trips exactly through fromUnits', () => {
    for (const q of [0.57, 0.1, 0.2, 0.3, 2.7, 0.7, 123.4567, 1e9]) expect(fromUnits(toUnits(q))).toBe(q);
    expect(fromUnits(toUnits(0.1) + toUnits(0.2))).toBe(0.3);
  });

  it('rounds computed quantities to the nearest unit; rejects only a non-zero one that rounds to 0', () => {
    expect(toUnits(1 / 3)).toBe(3333);
    expect(toUnits(2 / 3)).toBe(6667);
    expect(toUnits(0.00011)).toBe(1);
    expect(toUnits(0.00005)).toBe(1);
    expect(() => toUnits(0.00004)).toThrow(RangeError);
    expect(() => toUnits(0.00004)).toThrow(
      'resource quantity must be 0 or at least 0.0001 (the finest resource precision), got 0.00004',
    );
    expect(() => toUnits(1e-12)).toThrow('at least 0.0001');
  });

  it('rejects non-finite, negative, non-number and too large quantities', () => {
    expect(() => toUnits(Number.NaN)).toThrow('resource quantity must be a finite number, got NaN');
    expect(() => toUnits(Infinity)).toThrow('must be a finite number, got Infinity');
    expect(() => toUnits(-1)).toThrow('resource quantity must be non-negative, got -1');
    expect(() => toUnits('1' as unknown as number)).toThrow('resource quantity must be a number, got string');
    expect(() => toUnits(1e12)).toThrow('must be at most 900719925474, got 1000000000000');
    expect(toUnits(900719925474)).toBe(9007199254740000);
  });
});

describe('validation and accounting agree on precision', () => {
  // One rule (unitsOf) serves both: whatever validateTaskOptions accepts, a ledger can hold
  // exactly, and whatever it rejects for precision or size, toUnits rejects too.
  const accepts = (q: number) => {
    try {
      validateTaskOptions({ numCpus: q, resources: { licence: q } });
      return true;
    } catch {
      return false;
    }
  };
  const holds = (q: number) => {
    try {
      toUnits(q);
      return true;
    } catch {
      return false;
    }
  };

  it('on hand-picked edge values', () => {
    for (const q of [
      0,
      0.0001,
      0.57,
      0.1 + 0.2,
      1.0001,
      12345.6789,
      0.00015,
      0.00001,
      0.00005,
      0.33333,
      1 / 3,
      1e-7,
      7.00005,
      1e21,
      900719925474,
      900719925475,
    ]) {
      expect([q, accepts(q)]).toEqual([q, holds(q)]);
    }
  });

  it('on random quantities up to a billion, with 0–6 decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 6 }), (n, d) => {
        const q = n / 10 ** d;
        expect([q, accepts(q)]).toEqual([q, holds(q)]);
        // ...and on the rounded value: what validation keeps is what a ledger holds.
        if (accepts(q)) {
          expect(validateTaskOptions({ numCpus: q }).numCpus).toBe(fromUnits(toUnits(q)));
          expect(compileDemand({ CPU: q }).resources.CPU ?? 0).toBe(fromUnits(toUnits(q)));
        }
        if (q >= 1 || q === 0) {
          const bytes = validateTaskOptions({ memory: q }).memory;
          expect(compileDemand({ memory: q }).resources.memory ?? 0).toBe(bytes);
          expect(Number.isInteger(bytes)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
