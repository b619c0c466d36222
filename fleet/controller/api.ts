/**
 * A small JSON API over the controller (node:http), for scripts until the console and CLI exist: every request
 * carries an API token of the registry (`Authorization: Bearer amet_…`); viewers read, operators and admins also
 * pause, resume and abort rollouts, each such action written to the audit log with the token's label.
 *
 *   GET  /api/devices[?group=&tag=&online=true|false&after=]   a page of devices
 *   GET  /api/releases                                         newest first
 *   GET  /api/rollouts                                         every rollout, without its snapshot
 *   GET  /api/rollouts/<id>                                    its live progress
 *   POST /api/releases                                         body: a release bundle (node/update); → the release
 *   POST /api/rollouts                                         body: {"id", "plan": RolloutPlan}; → its progress
 *   POST /api/rollouts/<id>/{pause,resume,abort}               body for abort: {"reason": "…"}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AmeError, toHex } from '../../node/crypto/index.ts';
import type { DeviceFilter, DeviceRecord, Registry, Release } from '../registry/index.ts';
import type { RolloutPlan } from '../rollout/index.ts';
import { ControllerError } from './errors.ts';
import type { RolloutDriver } from './rollout-driver.ts';

export interface ControllerApiOptions {
  readonly registry: Pick<Registry, 'admins' | 'devices' | 'releases' | 'rollouts' | 'audit'>;
  readonly rollouts: Pick<RolloutDriver, 'progress' | 'pause' | 'resume' | 'abort' | 'start'>;
  /** Publishes a release bundle (the controller's pushRelease). */
  readonly push: (bundle: Uint8Array) => Release;
  readonly now: () => number;
  readonly host?: string;
  readonly port?: number;
}

export interface ControllerApi {
  start(): Promise<string>;
  stop(): Promise<void>;
}

const MAX_BODY = 4096;
/** A release bundle pushed over the API; bigger ones are refused before they are read whole. */
export const MAX_BUNDLE = 256 * 1024 * 1024;
/** Error codes to HTTP statuses; anything else is a 500 that names no internals. */
const STATUS: Readonly<Record<string, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_INPUT: 400,
  BAD_PLAN: 400,
  UNKNOWN_DEVICE: 400,
  BAD_STATE: 409,
  CONFLICT: 409,
  TOO_LARGE: 413,
};

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

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBytes(req: IncomingMessage, max: number): Promise<Buffer> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new ControllerError(max === MAX_BODY ? 'BAD_INPUT' : 'TOO_LARGE', `a request body is at most ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Record<string, unknown>> {
  const bytes = await readBytes(req, max);
  if (bytes.length === 0) return {};
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ControllerError('BAD_INPUT', 'the request body must be a JSON object');
}

async function handle(o: ControllerApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = req.headers.authorization ?? '';
  const grant = o.registry.admins.authenticateToken(auth.startsWith('Bearer ') ? auth.slice(7) : '', o.now());
  const url = new URL(req.url ?? '/', 'http://api');
  const parts = url.pathname.split('/').filter((p) => p !== '');
  if (parts[0] !== 'api') throw new ControllerError('NOT_FOUND', 'not an API path');
  const [, collection, id, action] = parts.map((p) => decodeURIComponent(p));
  if (req.method === 'GET' && action === undefined) {
    if (collection === 'devices' && id === undefined) {
      const q = url.searchParams;
      const filter: { -readonly [K in keyof DeviceFilter]: DeviceFilter[K] } = {};
      for (const key of ['group', 'tag', 'after', 'search'] as const) if (q.has(key)) filter[key] = q.get(key)!;
      if (q.has('online')) filter.online = q.get('online') === 'true';
      const page = o.registry.devices.query(filter);
      return reply(res, 200, { devices: page.devices.map(deviceJson), next: page.next });
    }
    if (collection === 'releases' && id === undefined) return reply(res, 200, { releases: o.registry.releases.list() });
    if (collection === 'rollouts' && id === undefined) {
      return reply(res, 200, { rollouts: o.registry.rollouts.list().map(({ state: _state, ...rest }) => rest) });
    }
    if (collection === 'rollouts' && id !== undefined) return reply(res, 200, o.rollouts.progress(id));
  }
  const actor = grant.owner ?? `token:${grant.label}`;
  if (req.method === 'POST' && id === undefined && (collection === 'releases' || collection === 'rollouts')) {
    if (grant.role === 'viewer') throw new ControllerError('FORBIDDEN', `a viewer token cannot create ${collection}`);
    if (collection === 'releases') {
      let release: Release;
      try {
        release = o.push(new Uint8Array(await readBytes(req, MAX_BUNDLE)));
      } catch (error) {
        if (error instanceof ControllerError) throw error;
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
    if (grant.role === 'viewer') throw new ControllerError('FORBIDDEN', 'a viewer token cannot change a rollout');
    const body = await readBody(req);
    const reason = typeof body['reason'] === 'string' && body['reason'].length > 0 ? body['reason'].slice(0, 200) : `aborted by ${grant.label}`;
    const progress = action === 'abort' ? o.rollouts.abort(id, reason) : o.rollouts[action](id);
    o.registry.audit.append(actor, `rollout.${action}`, id, action === 'abort' ? { reason } : null, o.now());
    return reply(res, 200, progress);
  }
  throw new ControllerError('NOT_FOUND', `no ${req.method} ${url.pathname}`);
}
