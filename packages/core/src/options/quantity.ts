// The 0.0001 precision rule as validation sees it; the rule itself lives with the fixed-point
// units in ../resources, so that what validation accepts is exactly what accounting can hold.
import { RESOURCE_UNIT_SCALING, nearestUnits } from '../resources/fixed-point.js';

/**
 * Whether `q` (finite, > 0) is a whole number (at least 1) of 0.0001 units, allowing for binary
 * floating-point noise (see `nearestUnits`): `0.57` and `0.1 + 0.2` are accepted as 5700 and
 * 3000 units, while `0.00015` (1.5 units) and `0.00001` (0.1 units) are rejected.
 */
export function isWholeUnits(q: number): boolean {
  if (Number.isInteger(q)) return true;
  return (nearestUnits(q, RESOURCE_UNIT_SCALING) ?? 0) >= 1;
}
