// The 0.0001 precision rule, checked locally (the fixed-point type lives in ../resources).

const UNITS_PER_WHOLE = 10_000;

/**
 * Whether `q` (finite, > 0) is a whole number of 0.0001 units, allowing for binary
 * floating-point noise: `q × 10000` must lie within 1e-6 units (or 2 ulp, for large values)
 * of a whole number, and that number must be at least 1. So `0.57` (5699.999999999999 units)
 * and `0.1 + 0.2` are accepted as 5700 and 3000 units, while `0.00015` (1.5 units) and
 * `0.00001` (0.1 units) are rejected.
 */
export function isWholeUnits(q: number): boolean {
  if (Number.isInteger(q)) return true;
  const x = q * UNITS_PER_WHOLE;
  if (!Number.isFinite(x)) return false;
  const r = Math.round(x);
  if (r < 1) return false;
  const tolerance = Math.max(1e-6, Math.abs(x) * 2 * Number.EPSILON);
  return Math.abs(x - r) <= tolerance;
}

/**
 * Ray's unit-instance resources: each instance has capacity 1, so requests above 1 must be
 * whole numbers (`GPU`, and the accelerator resources Ray treats the same way).
 */
export const UNIT_INSTANCE_RESOURCES: ReadonlySet<string> = new Set([
  'GPU',
  'neuron_cores',
  'TPU',
  'NPU',
  'HPU',
  'RBLN',
  'FURIOSA',
  'TTNPU',
  'MBLT',
  'MLU',
]);
