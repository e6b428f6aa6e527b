export const HAND_OFF_BOUND_MS: number;

export interface TimelineEvent {
  taskId: string;
  name: string | undefined;
  attempt: number;
  state: string;
  timestamp: number;
  nodeId: string;
  /** When the machine emitted the event (see `SeenTaskEvent` in harness.ts). */
  seenAt?: number;
}

export interface Attempt {
  name: string;
  node: string;
  amount: number;
  scheduled: number;
  /** When a machine received it (`NaN` where unknown). */
  delivered?: number;
  start: number;
  end: number;
}

export interface TimelineAnalysis {
  peak: Record<string, number>;
  makespan: number;
  utilisation: number;
  longestIdleWithWork: number;
  idleWithWork: { node: string; ms: number; endedAt: number }[];
}

export function attemptsFromEvents(events: readonly TimelineEvent[], amountOf: (name: string) => number): Attempt[];
export function analyseTimeline(
  tasks: readonly Attempt[],
  capacity: Readonly<Record<string, number>>,
  serves?: (node: string, task: Attempt) => boolean,
): TimelineAnalysis;
export function overlapped(tasks: readonly Attempt[], predicate: (name: string) => boolean): boolean;
