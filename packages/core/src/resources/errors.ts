/** Errors of resource accounting. */

const BRAND = Symbol.for('taskfit.AllocationError');

/** Why an {@link AllocationError} was thrown. */
export type AllocationErrorCode = 'double_release' | 'foreign_allocation' | 'invalid_allocation';

/**
 * Thrown by `release` when the allocation was already released, belongs to another node or
 * cluster, or is not an allocation at all. Nothing is changed when it is thrown.
 */
export class AllocationError extends Error {
  override readonly name = 'AllocationError';
  readonly code: AllocationErrorCode;
  constructor(code: AllocationErrorCode, message: string) {
    super(message);
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
