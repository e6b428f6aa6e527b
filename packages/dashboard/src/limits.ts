/** The dashboard's memory caps: the options (`DashboardLimits`) and their resolution. */

/** Caps of the dashboard's memory (server and page). */
export interface DashboardLimits {
  /** Task rows kept: this many active (pending or running) plus this many finished ones, most recent first. @default 1000 */
  readonly maxTasks?: number;
  /** Attempts kept for the timeline (most recently started or ended). @default 1000 */
  readonly maxTimelineAttempts?: number;
  /** Resource samples kept per source (one per `sampleIntervalMs`). @default 600 */
  readonly maxSamples?: number;
  /** Interval of the resource samples, ms. @default 1000 */
  readonly sampleIntervalMs?: number;
  /** Distinct task names per metric before further names are counted as `name="other"`. @default 200 */
  readonly maxMetricNames?: number;
}

/** @internal Resolved limits. */
export interface Limits {
  readonly maxTasks: number;
  readonly maxTimelineAttempts: number;
  readonly maxSamples: number;
  readonly sampleIntervalMs: number;
  readonly maxMetricNames: number;
}

/** @internal */
export function resolveLimits(l: DashboardLimits = {}): Limits {
  const pick = (name: keyof DashboardLimits, def: number, min: number): number => {
    const v = l[name] ?? def;
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`taskfit dashboard: ${name} must be an integer ≥ ${min} (got ${v})`);
    return v;
  };
  return {
    maxTasks: pick('maxTasks', 1000, 1),
    maxTimelineAttempts: pick('maxTimelineAttempts', 1000, 1),
    maxSamples: pick('maxSamples', 600, 2),
    sampleIntervalMs: pick('sampleIntervalMs', 1000, 10),
    maxMetricNames: pick('maxMetricNames', 200, 1),
  };
}
