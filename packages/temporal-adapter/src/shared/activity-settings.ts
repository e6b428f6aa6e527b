/**
 * `_metadata['temporal.io/activity']`: the Temporal-specific settings of a task (timeouts,
 * backoff, task-queue base), validated with the same error model as the task options.
 */
import { TaskOptionsError } from '@taskfit/core';
import type { TaskOptionsIssue } from '@taskfit/core';

/** The `_metadata` namespace read by this adapter. */
export const TEMPORAL_METADATA_NAMESPACE = 'temporal.io/activity';

/** A duration: milliseconds (a positive finite number) or a string such as `'10s'`, `'5 minutes'`, `'250ms'`. */
export type DurationInput = number | string;

/** What `_metadata['temporal.io/activity']` may hold. Every field is optional. */
export interface TemporalActivitySettings {
  /** Task-queue base (the resource-class suffix is added to it). @default the workflow's own task queue */
  taskQueue?: string;
  /** Longest a single attempt may run. @default '1h' */
  startToCloseTimeout?: DurationInput;
  /** A worker that stops heartbeating for this long is presumed dead and the attempt is retried. @default '10s' */
  heartbeatTimeout?: DurationInput;
  /** Cap on the whole task, retries included. @default none */
  scheduleToCloseTimeout?: DurationInput;
  /**
   * Longest an attempt may wait to be started by a machine serving its class (not retried): the
   * task then fails with `TaskTimeoutError` (`SCHEDULE_TO_START`). @default none; `'10s'` for hard
   * node affinity with `failOnUnavailable`
   */
  scheduleToStartTimeout?: DurationInput;
  /** First retry delay. @default '1s' */
  initialInterval?: DurationInput;
  /** Backoff multiplier (≥ 1). @default 2 */
  backoffCoefficient?: number;
  /** Longest retry delay. @default 100 × initialInterval (Temporal's default) */
  maximumInterval?: DurationInput;
  /** What cancelling the workflow's call does. @default 'WAIT_CANCELLATION_COMPLETED' */
  cancellationType?: 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON';
}

/** The settings with defaults filled and durations in milliseconds. */
export interface ResolvedActivitySettings {
  taskQueue: string | undefined;
  startToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number;
  scheduleToCloseTimeoutMs: number | undefined;
  scheduleToStartTimeoutMs: number | undefined;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number | undefined;
  cancellationType: 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON';
}

/** Defaults of {@link TemporalActivitySettings}, in milliseconds. */
export const ACTIVITY_SETTING_DEFAULTS = {
  startToCloseTimeoutMs: 3_600_000,
  heartbeatTimeoutMs: 10_000,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  /**
   * `scheduleToStartTimeout` of a task with hard node affinity and `failOnUnavailable` (unless
   * set): a live node keeps a poll open on its node queue while it has room, so a task it does
   * not start within this is treated as unavailable (Ray fails such a task at once).
   */
  nodeUnavailableTimeoutMs: 10_000,
} as const;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};
const DURATION = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;

const DURATION_KEYS = [
  'startToCloseTimeout',
  'heartbeatTimeout',
  'scheduleToCloseTimeout',
  'scheduleToStartTimeout',
  'initialInterval',
  'maximumInterval',
] as const;
const KNOWN_KEYS = new Set<string>([...DURATION_KEYS, 'taskQueue', 'backoffCoefficient', 'cancellationType']);
const CANCELLATION_TYPES = new Set(['TRY_CANCEL', 'WAIT_CANCELLATION_COMPLETED', 'ABANDON']);

function parseDuration(value: unknown, path: (string | number)[], issues: TaskOptionsIssue[]): number | undefined {
  const name = `_metadata['${TEMPORAL_METADATA_NAMESPACE}'].${String(path[path.length - 1])}`;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
    issues.push({
      path,
      code: 'invalid_value',
      message: `${name} must be a positive, finite number of milliseconds (got ${value})`,
    });
    return undefined;
  }
  if (typeof value === 'string') {
    const m = DURATION.exec(value.trim());
    const unit = m?.[2] === undefined ? undefined : UNIT_MS[m[2].toLowerCase()];
    if (m !== null && unit !== undefined) {
      const ms = Number(m[1]) * unit;
      if (ms > 0) return ms;
    }
    issues.push({
      path,
      code: 'invalid_value',
      message: `${name} must be a positive duration such as '10s', '5 minutes' or '250ms' (got ${JSON.stringify(value)})`,
    });
    return undefined;
  }
  issues.push({
    path,
    code: 'invalid_type',
    message: `${name} must be a duration (milliseconds or a string such as '10s'), got ${typeof value}`,
  });
  return undefined;
}

/**
 * Validates `_metadata['temporal.io/activity']` (absent → all defaults) and fills defaults.
 * Throws `TaskOptionsError` listing every problem, each with its path.
 */
export function resolveActivitySettings(
  metadata: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined,
): ResolvedActivitySettings {
  const raw: unknown = metadata?.[TEMPORAL_METADATA_NAMESPACE];
  const base = ['_metadata', TEMPORAL_METADATA_NAMESPACE];
  const issues: TaskOptionsIssue[] = [];
  const out: ResolvedActivitySettings = {
    taskQueue: undefined,
    startToCloseTimeoutMs: ACTIVITY_SETTING_DEFAULTS.startToCloseTimeoutMs,
    heartbeatTimeoutMs: ACTIVITY_SETTING_DEFAULTS.heartbeatTimeoutMs,
    scheduleToCloseTimeoutMs: undefined,
    scheduleToStartTimeoutMs: undefined,
    initialIntervalMs: ACTIVITY_SETTING_DEFAULTS.initialIntervalMs,
    backoffCoefficient: ACTIVITY_SETTING_DEFAULTS.backoffCoefficient,
    maximumIntervalMs: undefined,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  };
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TaskOptionsError([
      {
        path: base,
        code: 'invalid_type',
        message: `_metadata['${TEMPORAL_METADATA_NAMESPACE}'] must be an object of Temporal activity settings`,
      },
    ]);
  }
  const rec = raw as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (!KNOWN_KEYS.has(key)) {
      issues.push({
        path: [...base, key],
        code: 'unknown_option',
        message: `_metadata['${TEMPORAL_METADATA_NAMESPACE}'].${key} is not a Temporal activity setting (known: ${[...KNOWN_KEYS].join(', ')})`,
      });
    }
  }
  const dur = (key: (typeof DURATION_KEYS)[number]): number | undefined =>
    rec[key] === undefined ? undefined : parseDuration(rec[key], [...base, key], issues);
  out.startToCloseTimeoutMs = dur('startToCloseTimeout') ?? out.startToCloseTimeoutMs;
  out.heartbeatTimeoutMs = dur('heartbeatTimeout') ?? out.heartbeatTimeoutMs;
  out.scheduleToCloseTimeoutMs = dur('scheduleToCloseTimeout');
  out.scheduleToStartTimeoutMs = dur('scheduleToStartTimeout');
  out.initialIntervalMs = dur('initialInterval') ?? out.initialIntervalMs;
  out.maximumIntervalMs = dur('maximumInterval');
  if (rec['taskQueue'] !== undefined) {
    const q = rec['taskQueue'];
    if (typeof q !== 'string' || q === '' || q.includes('@')) {
      issues.push({
        path: [...base, 'taskQueue'],
        code: typeof q === 'string' ? 'invalid_value' : 'invalid_type',
        message: `_metadata['${TEMPORAL_METADATA_NAMESPACE}'].taskQueue must be a non-empty task-queue base without '@' (got ${JSON.stringify(q)})`,
      });
    } else {
      out.taskQueue = q;
    }
  }
  if (rec['backoffCoefficient'] !== undefined) {
    const c = rec['backoffCoefficient'];
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 1) {
      issues.push({
        path: [...base, 'backoffCoefficient'],
        code: typeof c === 'number' ? 'invalid_value' : 'invalid_type',
        message: `_metadata['${TEMPORAL_METADATA_NAMESPACE}'].backoffCoefficient must be a finite number >= 1 (got ${String(c)})`,
      });
    } else {
      out.backoffCoefficient = c;
    }
  }
  if (rec['cancellationType'] !== undefined) {
    const t = rec['cancellationType'];
    if (typeof t !== 'string' || !CANCELLATION_TYPES.has(t)) {
      issues.push({
        path: [...base, 'cancellationType'],
        code: typeof t === 'string' ? 'invalid_value' : 'invalid_type',
        message: `_metadata['${TEMPORAL_METADATA_NAMESPACE}'].cancellationType must be one of TRY_CANCEL, WAIT_CANCELLATION_COMPLETED, ABANDON (got ${JSON.stringify(t)})`,
      });
    } else {
      out.cancellationType = t as ResolvedActivitySettings['cancellationType'];
    }
  }
  if (out.maximumIntervalMs !== undefined && out.maximumIntervalMs < out.initialIntervalMs) {
    issues.push({
      path: [...base, 'maximumInterval'],
      code: 'conflict',
      message: `_metadata['${TEMPORAL_METADATA_NAMESPACE}'].maximumInterval (${out.maximumIntervalMs} ms) must not be shorter than initialInterval (${out.initialIntervalMs} ms)`,
    });
  }
  if (issues.length > 0) throw new TaskOptionsError(issues);
  return out;
}
