/**
 * `serveDashboard`: an HTTP server (node:http, no framework) with the live page (plain HTML, JS
 * and CSS from `assets/`), a server-sent-events stream of batched changes, the Chrome-trace
 * export, Prometheus metrics and, only when enabled with a token, actions.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { ChromeTrace, ChromeTraceEvent } from '@taskfit/core';
import { resolveLimits } from './limits.js';
import type { DashboardLimits, Limits } from './limits.js';
import { Monitor } from './monitor.js';
import { registerMonitorMetrics } from './metrics.js';
import { toSources } from './sources.js';
import type { DashboardPool, DashboardWorkers, Source } from './sources.js';

/** A task a dashboard action targets. */
export interface DashboardTaskRef {
  /** The source's label as the page shows it (`pool:<nodeId>`, `workers:<nodeId>`). */
  readonly source: string;
  readonly kind: 'pool' | 'workers';
  readonly taskId: string;
}

/** State-changing actions; off unless given. */
export interface DashboardActions {
  /**
   * Bearer token the page must send with every action (compared in constant time). At least 16
   * characters. @default a random token, readable as `dashboard.actionToken`
   */
  readonly token?: string;
  /** Cancels a task (e.g. through the `ObjectRef`s you keep, or a Temporal client). Returns whether it did. */
  cancelTask(task: DashboardTaskRef): boolean | Promise<boolean>;
}

/** Options of {@link serveDashboard}. */
export interface DashboardOptions extends DashboardLimits {
  /** `TaskPool`s to show. */
  readonly pools?: readonly DashboardPool[];
  /** `createTaskWorkers(...)` results to show. */
  readonly workers?: readonly DashboardWorkers[];
  /** TCP port; 0 picks a free one (read it from `url`). @default 0 */
  readonly port?: number;
  /**
   * Interface to bind. Anything but a loopback address exposes task names, errors and resources
   * to the network: do it only behind your own access control. @default '127.0.0.1'
   */
  readonly host?: string;
  /** Register the Prometheus collectors in this prom-client registry (served on `/metrics` with the rest of it). @default a new `Registry` */
  readonly registry?: Registry;
  /** Base URL of the Temporal Web UI (e.g. `http://localhost:8233`): the page links each activity to its workflow there. */
  readonly temporalWebUrl?: string;
  /** How often the page receives batched changes, ms. @default 100 */
  readonly pushIntervalMs?: number;
  /** State-changing actions (cancel a task). Off by default; when on, every call needs the token. */
  readonly actions?: DashboardActions;
  /** Page title. @default 'taskfit dashboard' */
  readonly title?: string;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://<host>:<port>/`. */
  readonly url: string;
  readonly port: number;
  /** The registry `/metrics` serves. */
  readonly registry: Registry;
  /** The token actions need (only when `actions` were given). */
  readonly actionToken: string | undefined;
  /** Stops observing, ends every open page stream and closes the server. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const ASSET_DIR = new URL('../assets/', import.meta.url);
const typeOf = (file: string): string | undefined => TYPES[file.slice(file.lastIndexOf('.') + 1)];

/** The page's files by URL path: every page file in `assets/` (the page's modules included), and `/`. */
function assetPaths(): Map<string, string> {
  const paths = new Map([['/', 'index.html']]);
  for (const file of readdirSync(ASSET_DIR)) if (typeOf(file) !== undefined) paths.set(`/${file}`, file);
  return paths;
}
/** A page stream with more than this much unsent data skips deltas and gets a fresh snapshot once drained. */
const MAX_BUFFERED = 1 << 20;
const HEARTBEAT_MS = 15_000;
const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

interface Client {
  res: ServerResponse;
  stale: boolean;
}

function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Every source's timeline in one trace (process ids kept apart, names prefixed with the source). */
function mergedTimeline(sources: readonly Source[]): ChromeTrace {
  const traceEvents: ChromeTraceEvent[] = [];
  for (const s of sources) {
    const offset = s.index * 1000;
    for (const e of s.timeline().traceEvents) {
      const pid = e.pid + offset;
      if (e.ph === 'M' && e.name === 'process_name') {
        traceEvents.push({ ...e, pid, args: { name: `${s.id} · ${String(e.args?.['name'])}` } });
      } else traceEvents.push({ ...e, pid });
    }
  }
  return { traceEvents, displayTimeUnit: 'ms', otherData: { generator: 'taskfit', version: '1' } };
}

/**
 * Serves the live dashboard of `pools` and `workers` (in this process) on
 * `http://127.0.0.1:<port>/`: task counts and a filterable task table, resources and their
 * utilisation over time, per-GPU holders, a Gantt timeline of attempts, Temporal worker classes;
 * `/metrics` (Prometheus), `/api/timeline` (Chrome trace). Read-only unless `actions` are given.
 */
export async function serveDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const limits: Limits = resolveLimits(options);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`serveDashboard: port must be an integer from 0 to 65535 (got ${port})`);
  const pushMs = options.pushIntervalMs ?? 100;
  if (!Number.isInteger(pushMs) || pushMs < 10)
    throw new RangeError(`serveDashboard: pushIntervalMs must be an integer ≥ 10 (got ${pushMs})`);
  const actions = options.actions;
  let token: string | undefined;
  if (actions !== undefined) {
    if (typeof actions.cancelTask !== 'function')
      throw new TypeError('serveDashboard: actions.cancelTask must be a function');
    token = actions.token ?? randomBytes(24).toString('base64url');
    if (token.length < 16) throw new RangeError('serveDashboard: actions.token must have at least 16 characters');
  }
  const webUrl = options.temporalWebUrl?.replace(/\/+$/, '');
  if (webUrl !== undefined && !/^https?:\/\//.test(webUrl))
    throw new TypeError(`serveDashboard: temporalWebUrl must be an http(s) URL (got ${options.temporalWebUrl})`);

  const sources = toSources(options.pools ?? [], options.workers ?? []);
  const monitor = new Monitor(sources, limits);
  const registry = options.registry ?? new Registry();
  const unregister = registerMonitorMetrics(monitor, registry);
  const clients = new Set<Client>();
  const assetFiles = assetPaths();
  const assets = new Map<string, Buffer>();
  const title = options.title ?? 'taskfit dashboard';

  const config = {
    title,
    limits,
    pushIntervalMs: pushMs,
    temporalWebUrl: webUrl ?? null,
    actions: actions !== undefined,
    sources: sources.map((s) => ({ id: s.id, kind: s.kind, nodeId: s.nodeId, classes: s.classes })),
  };

  const lifetime = (): Record<string, Record<string, number>> => {
    monitor.resolveFailures();
    const out: Record<string, Record<string, number>> = {};
    for (const [source, per] of monitor.counts.tasksEnded) {
      const o = (out[source] = {} as Record<string, number>);
      for (const states of per.values()) for (const [state, n] of states) o[state] = (o[state] ?? 0) + n;
    }
    return out;
  };
  const snapshot = () => ({
    config,
    now: Date.now(),
    rows: monitor.rows(),
    attempts: [...monitor.attempts.values()],
    samples: sources.map((s) => ({ source: s.id, list: monitor.samples[s.index]!.toArray() })),
    resources: monitor.resources(),
    gpus: monitor.gpus(),
    summaries: monitor.summaries(),
    lifetime: lifetime(),
  });

  const send = (c: Client, event: string, data: unknown): void => {
    c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  let lastVersion = -1;
  const pushTimer = setInterval(() => {
    const changes = monitor.takeChanges(); // always drained, so nothing accumulates without a page
    if (clients.size === 0 || monitor.version === lastVersion) return;
    lastVersion = monitor.version;
    const delta = {
      now: Date.now(),
      ...changes,
      samples: sources.map((s) => ({ source: s.id, last: monitor.samples[s.index]!.last() ?? null })),
      resources: monitor.resources(),
      gpus: monitor.gpus(),
      summaries: monitor.summaries(),
      lifetime: lifetime(),
    };
    let body: string | undefined;
    for (const c of clients) {
      if (c.res.writableLength > MAX_BUFFERED) {
        c.stale = true; // a slow page: skip until it drained, then a fresh snapshot
        continue;
      }
      if (c.stale) {
        c.stale = false;
        send(c, 'snapshot', snapshot());
        continue;
      }
      body ??= `event: delta\ndata: ${JSON.stringify(delta)}\n\n`;
      c.res.write(body);
    }
  }, pushMs);
  pushTimer.unref();
  const heartbeat = setInterval(() => {
    for (const c of clients) c.res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const headers = {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'Cache-Control': 'no-store',
  };
  const reply = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { ...headers, 'Content-Type': type, ...extra });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, data: unknown, extra: Record<string, string> = {}): void =>
    reply(res, status, 'application/json; charset=utf-8', JSON.stringify(data), extra);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS rebinding: a loopback dashboard answers only requests addressed to a loopback name.
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (isLoopback(host) && !isLoopback(hostHeader)) return reply(res, 403, 'text/plain', 'forbidden host\n');
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const asset = assetFiles.get(path);
      if (asset !== undefined) {
        let body = assets.get(asset);
        if (body === undefined) {
          body = await readFile(new URL(asset, ASSET_DIR));
          if (asset === 'index.html')
            body = Buffer.from(body.toString('utf8').replaceAll('{{title}}', escapeHtml(title)));
          assets.set(asset, body);
        }
        return reply(res, 200, typeOf(asset)!, body);
      }
      if (path === '/events') {
        res.writeHead(200, {
          ...headers,
          'Content-Type': 'text/event-stream; charset=utf-8',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        const c: Client = { res, stale: false };
        clients.add(c);
        res.write('retry: 2000\n\n');
        send(c, 'snapshot', snapshot());
        req.on('close', () => clients.delete(c));
        return;
      }
      if (path === '/favicon.ico') return reply(res, 204, 'image/x-icon', '');
      if (path === '/api/snapshot') return json(res, 200, snapshot());
      if (path === '/api/timeline')
        return json(res, 200, mergedTimeline(sources), {
          'Content-Disposition': 'attachment; filename="timeline.json"',
        });
      if (path === '/metrics') return reply(res, 200, registry.contentType, await registry.metrics());
      return reply(res, 404, 'text/plain', 'not found\n');
    }
    if (req.method === 'POST' && path === '/api/tasks/cancel') {
      if (actions === undefined || token === undefined)
        return json(res, 403, { error: 'actions are disabled (serveDashboard({ actions }) enables them)' });
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !sameToken(auth.slice(7), token))
        return json(res, 401, { error: 'missing or wrong token' }, { 'WWW-Authenticate': 'Bearer' });
      let body: { source?: unknown; taskId?: unknown };
      try {
        body = JSON.parse(await readBody(req, 4096)) as typeof body;
      } catch {
        return json(res, 400, { error: 'body must be JSON { source, taskId }' });
      }
      const s = sources.find((x) => x.id === body.source);
      if (s === undefined || typeof body.taskId !== 'string')
        return json(res, 400, { error: 'unknown source or missing taskId' });
      const cancelled = await actions.cancelTask({ source: s.id, kind: s.kind, taskId: body.taskId });
      return json(res, 200, { cancelled });
    }
    return reply(res, 405, 'text/plain', 'method not allowed\n', { Allow: 'GET, HEAD' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        reply(res, 500, 'text/plain', `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const boundPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${boundPort}/`,
    port: boundPort,
    registry,
    actionToken: token,
    close() {
      closed ??= (async () => {
        clearInterval(pushTimer);
        clearInterval(heartbeat);
        for (const c of clients) c.res.end();
        clients.clear();
        unregister();
        monitor.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closed;
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
