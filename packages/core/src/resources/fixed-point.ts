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

/**
 * Converts `q` into an integer number of units at `scale` units per 1, or returns an error
 * message (never throws; the callers decide which error class to raise).
 * @internal
 */
export function quantityToUnits(q: unknown, scale: number): number | string {
  if (typeof q !== 'number') return `must be a number, got ${q === null ? 'null' : typeof q}`;
  if (!Number.isFinite(q)) return `must be a finite number, got ${String(q)}`;
  if (q < 0) return `must be non-negative, got ${q}`;
  const u = Math.round(q * scale) + 0; // + 0 turns -0 into 0
  if (u > MAX_UNITS) return `must be at most ${Math.floor(MAX_UNITS / scale)}, got ${q}`;
  if (nearestUnits(q, scale) === undefined || (u === 0 && q > 0)) {
    return scale === 1
      ? `must be a whole number of bytes, got ${q}`
      : `must be a multiple of 0.0001 (at most 4 decimal places), got ${q}`;
  }
  return u;
}

/**
 * `q × scale` rounded to the nearest integer when it lies within binary floating-point noise of
 * it (1e-6 units, or 2 ulp for large values), else `undefined`. So `0.57` (5699.999999999999
 * units) and `0.1 + 0.2` are 5700 and 3000 units, while `0.00015` (1.5 units) has no nearest
 * whole number of units. The one precision rule shared by validation and accounting.
 * @internal
 */
export function nearestUnits(q: number, scale: number): number | undefined {
  const x = q * scale;
  const u = Math.round(x) + 0;
  return Math.abs(x - u) <= Math.max(1e-6, Math.abs(x) * 2 * Number.EPSILON) ? u : undefined;
}

/**
 * Converts a resource quantity to integer units (`q × 10000`, rounded to the nearest unit:
 * `toUnits(0.57)` is 5700, where Ray truncates to 5699).
 * @throws RangeError when `q` is not a finite, non-negative number, is finer than 0.0001
 *   (e.g. 0.00011), or exceeds `Number.MAX_SAFE_INTEGER / 10000`. The message names the rule.
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
