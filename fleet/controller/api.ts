/**
 * The controller's JSON API (node:http), for the CLI, scripts and the web console. A request carries an API token
 * of the registry (`Authorization: Bearer amet_…`) or the console's session cookie (fleet/console: POSTs also need
 * the session's X-CSRF-Token); either way the account's role decides: viewers read, operators and admins also push
 * releases and start, pause, resume and abort rollouts, each such action written to the audit log with the
 * token's owner (or label) or the session's username as actor. The same server serves the console's page.
 *
 *   GET  /api/devices[?group=&tag=&online=true|false&search=&after=&limit=]   a page of devices
 *   GET  /api/devices/<id>                                     the device and its active update lock
 *   GET  /api/devices/<id>/history[?since=&limit=]             its telemetry samples, oldest first (history-query.ts)
 *   GET  /api/groups                                           every group with its number of devices
 *   GET  /api/releases                                         newest first
 *   GET  /api/rollouts                                         every rollout, without its snapshot
 *   GET  /api/rollouts/<id>                                    its live progress
 *   GET  /api/locks                                            the update locks active now
 *   GET  /api/audit[?actor=&action=&since=&until=&after=&limit=]   a page of the audit log, in seq order
 *   POST /api/releases                                         body: a release bundle (node/update); → the release
 *   POST /api/rollouts                                         body: {"id", "plan": RolloutPlan}; → its progress
 *   POST /api/rollouts/<id>/{pause,resume,abort}               body for abort: {"reason": "…"}
 *   GET|POST /api/tokens, POST /api/tokens/<id>/revoke          provisioning tokens (api-tokens.ts)
 *   POST /api/devices/<id>/commands                            a command to a device and its answer (api-commands.ts)
 *   GET  /metrics                                              Prometheus text format (metrics.ts), any role
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AmeError, toHex } from '../../node/crypto/index.ts';
import { readBytes, readJsonObject as readBody, replyJson as reply, type FleetConsole } from '../console/index.ts';
import type { AdminRole, AuditQuery, DeviceFilter, DeviceRecord, Registry, Release } from '../registry/index.ts';
import type { RolloutPlan } from '../rollout/index.ts';
import { handleCommandRoute } from './api-commands.ts';
import { handleTokenRoute, type TokenAdmin } from './api-tokens.ts';
import type { CommandSender } from './command-sender.ts';
import { ControllerError } from './errors.ts';
import { parseHistoryQuery } from './history-query.ts';
import type { RolloutDriver } from './rollout-driver.ts';

export interface ControllerApiOptions {
  readonly registry: Pick<Registry, 'admins' | 'devices' | 'releases' | 'rollouts' | 'locks' | 'audit' | 'history'>;
  readonly rollouts: Pick<RolloutDriver, 'progress' | 'pause' | 'resume' | 'abort' | 'start'>;
  /** Publishes a release bundle (the controller's pushRelease). */
  readonly push: (bundle: Uint8Array) => Release;
  /** The Prometheus exposition (metrics.ts) for `GET /metrics`. */
  readonly metrics?: () => string;
  /** The web console: its page and login routes, and its sessions as a second way to authenticate. */
  readonly console?: Pick<FleetConsole, 'handle' | 'grant'>;
  /** Provisioning tokens (`/api/tokens`, api-tokens.ts); without it those routes are 404. */
  readonly tokens?: TokenAdmin;
  /** Commands to devices (`POST /api/devices/<id>/commands`, api-commands.ts); without it that route is 404. */
  readonly commands?: Pick<CommandSender, 'send'>;
  readonly now: () => number;
  readonly host?: string;
  readonly port?: number;
}

export interface ControllerApi {
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** A release bundle pushed over the API; bigger ones are refused before they are read whole. */
export const MAX_BUNDLE = 256 * 1024 * 1024;
/** Error codes to HTTP statuses; anything else is a 500 that names no internals. */
const STATUS: Readonly<Record<string, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_INPUT: 400,
  BAD_QUERY: 400,
  BAD_PLAN: 400,
  UNKNOWN_DEVICE: 400,
  BAD_STATE: 409,
  CONFLICT: 409,
  TOO_LARGE: 413,
  TOO_MANY_ATTEMPTS: 429,
  NO_ANSWER: 504,
};

/** Who a request acts for: the role checked, the actor audited, the label an abort's default reason names. */
interface Principal {
  readonly role: AdminRole;
  readonly actor: string;
  readonly label: string;
}

const deviceJson = (d: DeviceRecord) => ({ ...d, publicKey: toHex(d.publicKey) });

export function createControllerApi(o: ControllerApiOptions): ControllerApi {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(o, req, res).catch((error: unknown) => {
      const code = error instanceof AmeError ? error.code : 'FAILED';
      const status = STATUS[code] ?? 500;
      reply(res, status, { error: code, message: status === 500 ? 'internal error' : (error as Error).message });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
      });
      return `http://${o.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}/`;
    },
    async stop() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A token when the request has an Authorization header, else the console's session, else 401. */
function principalOf(o: ControllerApiOptions, req: IncomingMessage): Principal {
  const auth = req.headers.authorization;
  if (auth === undefined && o.console !== undefined) {
    const session = o.console.grant(req);
    if (session !== undefined) return { role: session.role, actor: session.username, label: session.username };
  }
  const grant = o.registry.admins.authenticateToken(auth?.startsWith('Bearer ') ? auth.slice(7) : '', o.now());
  return { role: grant.role, actor: grant.owner ?? `token:${grant.label}`, label: grant.label };
}

/** Integer query parameters; a malformed one reaches the registry as NaN and is refused there as BAD_INPUT. */
function numbers<K extends string>(q: URLSearchParams, keys: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const key of keys) if (q.has(key)) out[key] = Number(q.get(key));
  return out;
}

async function handle(o: ControllerApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://api');
  if (o.console !== undefined && (await o.console.handle(req, res, url))) return;
  const who = principalOf(o, req);
  if (req.method === 'GET' && url.pathname === '/metrics' && o.metrics !== undefined) {
    const text = o.metrics();
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const parts = url.pathname.split('/').filter((p) => p !== '');
  if (parts[0] !== 'api') throw new ControllerError('NOT_FOUND', 'not an API path');
  const path = parts.slice(1).map((p) => decodeURIComponent(p));
  const [collection, id, action] = path;
  if (o.tokens !== undefined && (await handleTokenRoute({ tokens: o.tokens, registry: o.registry, now: o.now, who }, req, res, path))) return;
  if (o.commands !== undefined && (await handleCommandRoute({ commands: o.commands, registry: o.registry, now: o.now, who }, req, res, path))) return;
  if (req.method === 'GET' && collection === 'devices' && id !== undefined && action === 'history') {
    const query = parseHistoryQuery(url.searchParams);
    if (o.registry.devices.get(id) === undefined) throw new ControllerError('NOT_FOUND', `no device ${id}`);
    return reply(res, 200, { device: id, ...o.registry.history.query(id, query) });
  }
  if (req.method === 'GET' && action === undefined) {
    const q = url.searchParams;
    if (collection === 'devices' && id === undefined) {
      const filter: { -readonly [K in keyof DeviceFilter]: DeviceFilter[K] } = { ...numbers(q, ['limit']) };
      for (const key of ['group', 'tag', 'after', 'search'] as const) if (q.has(key)) filter[key] = q.get(key)!;
      if (q.has('online')) filter.online = q.get('online') === 'true';
      const page = o.registry.devices.query(filter);
      return reply(res, 200, { devices: page.devices.map(deviceJson), next: page.next });
    }
    if (collection === 'devices' && id !== undefined) {
      const device = o.registry.devices.get(id);
      if (device === undefined) throw new ControllerError('NOT_FOUND', `no device ${id}`);
      return reply(res, 200, { device: deviceJson(device), lock: o.registry.locks.activeLock(id, o.now()) ?? null });
    }
    if (id === undefined) {
      if (collection === 'groups') return reply(res, 200, { groups: o.registry.devices.groups() });
      if (collection === 'releases') return reply(res, 200, { releases: o.registry.releases.list() });
      if (collection === 'locks') return reply(res, 200, { locks: o.registry.locks.active(o.now()) });
      if (collection === 'rollouts') return reply(res, 200, { rollouts: o.registry.rollouts.list().map(({ state: _state, ...rest }) => rest) });
      if (collection === 'audit') {
        const query: { -readonly [K in keyof AuditQuery]: AuditQuery[K] } = numbers(q, ['since', 'until', 'after', 'limit']);
        for (const key of ['actor', 'action'] as const) if (q.has(key)) query[key] = q.get(key)!;
        return reply(res, 200, o.registry.audit.query(query));
      }
    }
    if (collection === 'rollouts' && id !== undefined) return reply(res, 200, o.rollouts.progress(id));
  }
  const { actor } = who;
  if (req.method === 'POST' && id === undefined && (collection === 'releases' || collection === 'rollouts')) {
    if (who.role === 'viewer') throw new ControllerError('FORBIDDEN', `a viewer cannot create ${collection}`);
    if (collection === 'releases') {
      let release: Release;
      try {
        release = o.push(new Uint8Array(await readBytes(req, MAX_BUNDLE)));
      } catch (error) {
        if (error instanceof AmeError && (error.code === 'TOO_LARGE' || error instanceof ControllerError)) throw error;
        throw new ControllerError('BAD_INPUT', `not a release this repository takes: ${(error as Error).message}`, { cause: error });
      }
      o.registry.audit.append(actor, 'release.push', release.id, { target: release.target }, o.now());
      return reply(res, 201, release);
    }
    const body = await readBody(req, 64 * 1024);
    if (typeof body['id'] !== 'string' || typeof body['plan'] !== 'object' || body['plan'] === null) {
      throw new ControllerError('BAD_INPUT', 'a rollout is {"id": text, "plan": {release, previousRelease, phases, …}}');
    }
    const progress = o.rollouts.start(body['id'], body['plan'] as RolloutPlan);
    o.registry.audit.append(actor, 'rollout.start', body['id'], { release: progress.release }, o.now());
    return reply(res, 201, progress);
  }
  if (req.method === 'POST' && collection === 'rollouts' && id !== undefined && (action === 'pause' || action === 'resume' || action === 'abort')) {
    if (who.role === 'viewer') throw new ControllerError('FORBIDDEN', 'a viewer cannot change a rollout');
    const body = await readBody(req);
    const reason = typeof body['reason'] === 'string' && body['reason'].length > 0 ? body['reason'].slice(0, 200) : `aborted by ${who.label}`;
    const progress = action === 'abort' ? o.rollouts.abort(id, reason) : o.rollouts[action](id);
    o.registry.audit.append(actor, `rollout.${action}`, id, action === 'abort' ? { reason } : null, o.now());
    return reply(res, 200, progress);
  }
  throw new ControllerError('NOT_FOUND', `no ${req.method} ${url.pathname}`);
}
