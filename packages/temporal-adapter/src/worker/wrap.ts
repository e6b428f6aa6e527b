/**
 * The activity wrapper: unwraps the task envelope, admits the task against the machine's ledger
 * (waiting there, heartbeating, if it does not fit yet), applies the task's env and GPU ids
 * (through the task context), keeps the activity alive with heartbeats that carry the activity's
 * own details, mirrors task events and converts errors per `retryExceptions`.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { errorTypeChain, taskEnvVars } from '@taskfit/core';
import type { Allocation, TaskState } from '@taskfit/core';
import type { SharedLedger } from '@taskfit/piscina-adapter';
import { decodeTaskEnvelope } from '../shared/envelope.js';
import type { TaskWireOptions } from '../shared/envelope.js';
import { NUM_RETURNS_MISMATCH } from '../shared/failures.js';
import type { TaskFailureDetails } from '../shared/failures.js';
import { setTaskContext } from './context.js';
import type { TaskContext } from './context.js';
import { convertError, isAbortError, messageOf } from './convert-error.js';
import { keepAlive } from './keep-alive.js';
import type { LedgerGate } from './ledger-gate.js';
import type { QueueSlots } from './poll-gate.js';
import { runInPool } from './pool-runner.js';

/** One task event mirrored from the Temporal side (same states as the local pool). */
export interface TaskEvent {
  /** `<workflowId>/<runId>/<activityId>`. */
  taskId: string;
  /** The task's `name` option, if set. */
  name: string | undefined;
  activityType: string;
  /** 0 for the first attempt (Temporal's `attempt` − 1). */
  attempt: number;
  state: TaskState;
  /** Milliseconds since the epoch. */
  timestamp: number;
  nodeId: string;
  taskQueue: string;
  /** Class name of the failure, on `FAILED` events. */
  errorType?: string;
  /** The failure's message, on `FAILED` events. */
  errorMessage?: string;
  /**
   * On `FAILED` events: whether the retry policy lets Temporal schedule another attempt (the
   * error is retryable and attempts are left). The server may still give up (e.g. at
   * `scheduleToCloseTimeout`), and the next attempt may run on another machine.
   */
  retrying?: boolean;
  /** The workflow that scheduled the activity (for links to the Temporal Web UI). */
  workflowId?: string;
  /** Its run id. */
  runId?: string;
  /** The Temporal namespace. */
  namespace?: string;
  /** The activity id within the workflow. */
  activityId?: string;
  /** Resources reserved for the attempt (from SUBMITTED_TO_WORKER on). */
  resources?: Readonly<Record<string, number>>;
  /** GPU ids assigned to the attempt (from SUBMITTED_TO_WORKER on, GPU tasks only). */
  gpuIds?: readonly number[] | readonly string[];
}

/** @internal */
export interface WrapContext {
  nodeId: string;
  /** The machine's admission gate (its one ledger), for inline activity bodies. */
  gate: LedgerGate | undefined;
  /**
   * With `createTaskWorkers({ pool })`: the pool's ledger, the machine's one. Activity bodies run
   * in the pool (by export name), admitted by it.
   */
  pool: SharedLedger | undefined;
  slotsForQueue(queue: string): QueueSlots | undefined;
  /** Whether anyone listens to task events (else none are built). */
  listening(): boolean;
  emit(event: TaskEvent): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ActivityFn = (...args: any[]) => unknown;

function defaultWire(demand: Readonly<Record<string, number>>): TaskWireOptions {
  return {
    v: 1,
    demand: { ...demand },
    numReturns: 1,
    maxRetries: 3,
    retryExceptions: false,
    enableTaskEvents: true,
    maxCalls: 0,
  };
}

/** @internal Wraps one activity function. */
export function wrapActivity(activityType: string, fn: ActivityFn, wc: WrapContext): ActivityFn {
  const wrapped = async (...input: unknown[]): Promise<unknown> => {
    const actx = Context.current();
    const info = actx.info;
    const slots = wc.slotsForQueue(info.taskQueue);
    const decoded = decodeTaskEnvelope(input);
    // What the ledger admits is the demand of the queue's class (what its pollers planned for).
    const demand = slots?.demand ?? decoded?.options.demand ?? {};
    const usesGpu = (demand['GPU'] ?? 0) > 0;
    const wire = decoded?.options ?? defaultWire(demand);
    const args = decoded?.args ?? input;
    const attempt = info.attempt - 1;
    const taskId = `${info.workflowExecution?.workflowId ?? '-'}/${info.workflowExecution?.runId ?? '-'}/${info.activityId}`;
    const wf = info.workflowExecution;
    const held: Partial<TaskEvent> = {};
    const emitting = wire.enableTaskEvents && wc.listening();
    const emit = (state: TaskState, timestamp: number, errorType?: string, more?: Partial<TaskEvent>): void => {
      if (!emitting) return;
      const ev: TaskEvent = {
        taskId,
        name: wire.name,
        activityType,
        attempt,
        state,
        timestamp,
        nodeId: wc.nodeId,
        taskQueue: info.taskQueue,
      };
      // Field by field, in the order the fields always had: cheaper than merging objects.
      if (errorType !== undefined) ev.errorType = errorType;
      ev.namespace = info.activityNamespace;
      ev.activityId = info.activityId;
      if (wf !== undefined) {
        ev.workflowId = wf.workflowId;
        ev.runId = wf.runId;
      }
      if (held.resources !== undefined) ev.resources = held.resources;
      if (held.gpuIds !== undefined) ev.gpuIds = held.gpuIds;
      if (more !== undefined) Object.assign(ev, more);
      wc.emit(ev);
    };
    emit('PENDING_NODE_ASSIGNMENT', Math.min(info.currentAttemptScheduledTimestampMs, Date.now()));

    const hbMs =
      info.heartbeatTimeoutMs !== undefined && info.heartbeatTimeoutMs > 0
        ? Math.max(50, info.heartbeatTimeoutMs / 4)
        : 5_000;
    const stopKeepAlive = keepAlive(actx, hbMs);
    let allocation: Allocation | undefined;
    // Taken over from the poll (counted as arriving until now); `finish()` in the `finally`.
    slots?.claim();
    try {
      let result: unknown;
      if (wc.pool !== undefined) {
        // One ledger: the pool admits the activity, with its children, in its one queue.
        result = await runInPool(
          wc.pool,
          activityType,
          wire,
          demand,
          args,
          actx.cancellationSignal,
          (resources, gpuIds) => {
            held.resources = resources;
            if (usesGpu) held.gpuIds = gpuIds;
            const now = Date.now();
            emit('SUBMITTED_TO_WORKER', now);
            emit('RUNNING', now);
          },
        ).catch((err: unknown) => {
          throw convertError(err, wire, info.attempt, actx.cancellationSignal);
        });
      } else {
        // Admitted at once in the common case: no promise to wait for then.
        if (slots !== undefined)
          allocation =
            (actx.cancellationSignal.aborted ? null : wc.gate!.tryAcquire(slots.request)) ??
            (await wc.gate!.acquire(slots.request, actx.cancellationSignal));
        if (allocation !== undefined) {
          held.resources = allocation.resources;
          if (usesGpu) held.gpuIds = allocation.gpuIds;
        }
        emit('SUBMITTED_TO_WORKER', Date.now());
        // An allocation without GPUs has no GPU ids (and they cost a lookup each to list).
        const gpuIds = allocation === undefined || !usesGpu ? [] : [...allocation.gpuIds];
        const envVars = taskEnvVars(
          {
            envVars: wire.envVars,
            numCpus: demand['CPU'] ?? 0,
            visibleDevices: usesGpu ? allocation?.visibleDevices : undefined,
          },
          process.env,
        );
        const tctx: TaskContext = {
          taskId,
          name: wire.name,
          activityType,
          attempt,
          nodeId: wc.nodeId,
          taskQueue: info.taskQueue,
          resources: allocation?.resources ?? {},
          gpuIds,
          envVars,
          // Built on first read: copying process.env costs more than a no-op activity.
          get env() {
            const env: Record<string, string> = {};
            for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
            return Object.assign(env, envVars);
          },
          signal: actx.cancellationSignal,
        };
        emit('RUNNING', Date.now());
        setTaskContext(actx, tctx);
        try {
          result = await fn(...args);
        } catch (err) {
          throw convertError(err, wire, info.attempt, actx.cancellationSignal);
        }
      }
      if (wire.numReturns > 1 && (!Array.isArray(result) || result.length !== wire.numReturns)) {
        throw ApplicationFailure.create({
          type: NUM_RETURNS_MISMATCH,
          nonRetryable: true,
          message: `${activityType} has numReturns ${wire.numReturns} and must return an array of ${wire.numReturns} values, got ${Array.isArray(result) ? `an array of ${result.length}` : typeof result}`,
          details: [
            {
              typeChain: [NUM_RETURNS_MISMATCH, 'Error'],
              errorName: NUM_RETURNS_MISMATCH,
              attempt: info.attempt,
            } satisfies TaskFailureDetails,
          ],
        });
      }
      emit('FINISHED', Date.now());
      return wire.numReturns === 0 ? undefined : result;
    } catch (err) {
      const type =
        err instanceof ApplicationFailure
          ? (err.type ?? 'Error')
          : err instanceof CancelledFailure || isAbortError(err)
            ? 'TaskCancelledError'
            : errorTypeChain(err)[0];
      const nonRetryable = err instanceof ApplicationFailure ? err.nonRetryable : type === 'TaskCancelledError';
      emit('FAILED', Date.now(), type, {
        errorMessage: messageOf(err),
        retrying: !nonRetryable && (wire.maxRetries === -1 || attempt < wire.maxRetries),
      });
      throw err;
    } finally {
      stopKeepAlive();
      if (allocation !== undefined) wc.gate!.release(allocation);
      slots?.finish();
    }
  };
  Object.defineProperty(wrapped, 'name', { value: activityType });
  return wrapped;
}
