import { TaskOptionsError } from '@taskfit/core';
import type { TaskOptionsIssue } from '@taskfit/core';

/** `_metadata` namespace of the retry backoff settings. */
export const RETRY_METADATA_KEY = 'taskfit.io/retry';

/**
 * Backoff between attempts, from `_metadata['taskfit.io/retry']`. The delay before retry
 * `n` (1 for the first retry) is `min(maxDelayMs, initialDelayMs × backoffCoefficient^(n-1))`.
 * Without the namespace, retries start at once.
 */
export interface RetryBackoff {
  /** Delay before the first retry, in ms (≥ 0). @default 0 */
  initialDelayMs: number;
  /** Growth factor per retry (≥ 1). @default 2 */
  backoffCoefficient: number;
  /** Upper bound of a delay, in ms (≥ initialDelayMs). @default Infinity (no bound) */
  maxDelayMs: number;
}

const KEYS = ['initialDelayMs', 'backoffCoefficient', 'maxDelayMs'] as const;

/**
 * Reads and validates `_metadata['taskfit.io/retry']`. Returns `undefined` when absent.
 * @throws TaskOptionsError (`unknown_option` / `invalid_type` / `invalid_value`, path
 *   `['_metadata', 'taskfit.io/retry', key]`).
 */
export function parseRetryBackoff(
  metadata: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): RetryBackoff | undefined {
  if (!Object.prototype.hasOwnProperty.call(metadata, RETRY_METADATA_KEY)) return undefined;
  const raw = metadata[RETRY_METADATA_KEY];
  const base = ['_metadata', RETRY_METADATA_KEY];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TaskOptionsError([
      {
        path: base,
        code: 'invalid_type',
        message: `_metadata['${RETRY_METADATA_KEY}'] must be an object of ${KEYS.join(', ')}`,
      },
    ]);
  }
  const issues: TaskOptionsIssue[] = [];
  const out: RetryBackoff = { initialDelayMs: 0, backoffCoefficient: 2, maxDelayMs: Infinity };
  for (const k of Object.keys(raw)) {
    const path = [...base, k];
    const v = raw[k];
    if (!(KEYS as readonly string[]).includes(k)) {
      issues.push({
        path,
        code: 'unknown_option',
        message: `_metadata['${RETRY_METADATA_KEY}'].${k} is not a retry setting (expected ${KEYS.join(', ')})`,
      });
      continue;
    }
    if (typeof v !== 'number') {
      issues.push({
        path,
        code: 'invalid_type',
        message: `_metadata['${RETRY_METADATA_KEY}'].${k} must be a number, got ${typeof v}`,
      });
      continue;
    }
    const min = k === 'backoffCoefficient' ? 1 : 0;
    if (!Number.isFinite(v) || v < min) {
      issues.push({
        path,
        code: 'invalid_value',
        message: `_metadata['${RETRY_METADATA_KEY}'].${k} must be a finite number ≥ ${min}, got ${v}`,
      });
      continue;
    }
    out[k as (typeof KEYS)[number]] = v;
  }
  if (issues.length === 0 && out.maxDelayMs < out.initialDelayMs) {
    issues.push({
      path: [...base, 'maxDelayMs'],
      code: 'conflict',
      message: `_metadata['${RETRY_METADATA_KEY}'].maxDelayMs (${out.maxDelayMs}) must be ≥ initialDelayMs (${out.initialDelayMs})`,
    });
  }
  if (issues.length > 0) throw new TaskOptionsError(issues);
  return out;
}

/** Delay before retry number `retry` (1-based). */
export function backoffDelay(b: RetryBackoff | undefined, retry: number): number {
  if (b === undefined) return 0;
  return Math.min(b.maxDelayMs, b.initialDelayMs * b.backoffCoefficient ** (retry - 1));
}
