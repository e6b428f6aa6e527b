/**
 * The wrapper's keep-alive heartbeats. Running activities with the same period share one
 * interval timer instead of one timer each: a timer created and cleared per activity cost more
 * than a no-op activity's own work. The shared timer stops itself at its first tick with no
 * activity left (so a burst of short activities does not create and clear it each time) and is
 * unref'd (a running activity keeps the process alive through its Worker, not through this).
 */
import type { Context } from '@temporalio/activity';

interface Ticker {
  readonly timer: ReturnType<typeof setInterval>;
  /** One heartbeat function per running activity. */
  readonly beats: Set<() => void>;
}

const tickers = new Map<number, Ticker>();

function ticker(ms: number): Ticker {
  let t = tickers.get(ms);
  if (t === undefined) {
    const beats = new Set<() => void>();
    const timer = setInterval(() => {
      if (beats.size === 0) {
        clearInterval(timer);
        tickers.delete(ms);
        return;
      }
      for (const beat of beats) beat();
    }, ms);
    timer.unref?.();
    tickers.set(ms, (t = { timer, beats }));
  }
  return t;
}

/**
 * Heartbeats at least every `ms` until stopped (the first within `ms` of the start), re-sending
 * the details the activity itself last recorded (`heartbeat(details)`, or those of the previous
 * attempt), so that a keep-alive never erases them: the next attempt's `heartbeatDetails` are
 * exactly what it would see without the wrapper.
 */
export function keepAlive(actx: Context, ms: number): () => void {
  const send = actx.heartbeat;
  let details: unknown = actx.info.heartbeatDetails;
  // `Context.heartbeat` is an own property of the context: the activity's calls (also through
  // the free function `heartbeat()`, which goes through `Context.current()`) come here first.
  Object.defineProperty(actx, 'heartbeat', {
    configurable: true,
    writable: true,
    value: (d?: unknown) => {
      details = d;
      send(d);
    },
  });
  const beat = (): void => send(details);
  const { beats } = ticker(ms);
  beats.add(beat);
  return () => beats.delete(beat);
}
