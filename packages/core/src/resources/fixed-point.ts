/**
 * Fixed-point resource quantities. Every quantity is kept as an integer number of units so
 * that no sequence of acquire/release can drift: 0.1 + 0.2 GPUs is exactly 3000 units.
 */

/** Units per resource unit: quantities have at most 4 decimal places (Ray's `kResourceUnitScaling`). */
export const RESOURCE_UNIT_SCALING = 10000;

/** Resources counted in whole bytes (scale 1), so that nodes with terabytes of RAM stay exact. */
export const BYTE_RESOURCES: ReadonlySet<string> = new Set(['memory', 'object_store_memory']);

/** Largest quantity (in units) kept exactly: `Number.MAX_SAFE_INTEGER`. */
const MAX_UNITS = Number.MAX_SAFE_INTEGER;

/** Why a quantity cannot be held by the accounting. @internal */
export type QuantityProblem = 'not_number' | 'not_finite' | 'negative' | 'too_large' | 'rounds_to_zero';

/** Largest quantity of a resource counted at `scale` units per 1 (900719925474, or 2^53 − 1 bytes). @internal */
export function maxQuantity(scale: number): number {
  return Math.floor(MAX_UNITS / scale);
}

/**
 * `q` as an integer number of units at `scale` units per 1, or why it cannot be one. The one
 * precision rule, shared by validation and accounting: a resource quantity is rounded to the
 * nearest 0.0001 (`1 / 3` is 3333 units, `0.57` is 5700 — Ray truncates to 5699); a byte quantity
 * (scale 1) is rounded down to whole bytes, as Ray's `int(memory)` does, except that a value
 * within floating-point noise of a whole number is that number (`0.57e10` is 5700000000 bytes).
 * Only a non-zero quantity that becomes 0 units is rejected (`0.00001`, half a byte).
 * @internal
 */
export function unitsOf(q: unknown, scale: number): number | QuantityProblem {
  if (typeof q !== 'number') return 'not_number';
  if (!Number.isFinite(q)) return 'not_finite';
  if (q < 0) return 'negative';
  const u = (scale === 1 ? (nearestUnits(q, 1) ?? Math.floor(q)) : Math.round(q * scale)) + 0; // + 0: -0 → 0
  if (u > MAX_UNITS) return 'too_large';
  if (u === 0 && q > 0) return 'rounds_to_zero';
  return u;
}

/**
 * {@link unitsOf}, with the problem as a message for accounting errors (never throws; the
 * callers decide which error class to raise).
 * @internal
 */
export function quantityToUnits(q: unknown, scale: number): number | string {
  const u = unitsOf(q, scale);
  switch (u) {
    case 'not_number':
      return `must be a number, got ${q === null ? 'null' : typeof q}`;
    case 'not_finite':
      return `must be a finite number, got ${String(q)}`;
    case 'negative':
      return `must be non-negative, got ${String(q)}`;
    case 'too_large':
      return `must be at most ${maxQuantity(scale)}, got ${String(q)}`;
    case 'rounds_to_zero':
      return scale === 1
        ? `must be 0 or at least 1 byte (bytes are counted whole), got ${String(q)}`
        : `must be 0 or at least 0.0001 (the finest resource precision), got ${String(q)}`;
    default:
      return u;
  }
}

/**
 * `q × scale` rounded to the nearest integer when it lies within binary floating-point noise of
 * it (1e-6 units, or 2 ulp for large values), else `undefined`.
 * @internal
 */
export function nearestUnits(q: number, scale: number): number | undefined {
  const x = q * scale;
  const u = Math.round(x) + 0;
  return Math.abs(x - u) <= Math.max(1e-6, Math.abs(x) * 2 * Number.EPSILON) ? u : undefined;
}

/**
 * Converts a resource quantity to integer units (`q × 10000`, rounded to the nearest unit:
 * `toUnits(0.57)` is 5700, where Ray truncates to 5699; `toUnits(1 / 3)` is 3333).
 * @throws RangeError when `q` is not a finite, non-negative number, is non-zero but rounds to 0
 *   units (below 0.00005), or exceeds `Number.MAX_SAFE_INTEGER / 10000`. The message names the rule.
 */
export function toUnits(q: number): number {
  const u = quantityToUnits(q, RESOURCE_UNIT_SCALING);
  if (typeof u === 'string') throw new RangeError(`resource quantity ${u}`);
  return u;
}

/** Converts integer units back to a quantity (`u / 10000`; exact for every `toUnits` result). */
export function fromUnits(u: number): number {
  return u / RESOURCE_UNIT_SCALING;
}

/** Units per 1 of a resource: 1 for byte resources, {@link RESOURCE_UNIT_SCALING} otherwise. @internal */
export function scaleOf(name: string): number {
  return BYTE_RESOURCES.has(name) ? 1 : RESOURCE_UNIT_SCALING;
}
