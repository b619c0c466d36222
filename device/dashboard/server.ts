/**
 * The dashboard's HTTP server (node:http) around handler.ts: listens on `dashboard.port` (0: any free port),
 * answers requests the parser refuses with the same typed JSON errors, and on stop() closes every connection
 * (keep-alive sockets of an open browser tab included) so the agent's stop never hangs on them.
 */
import { readFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { DeviceError, describeError } from '../errors.ts';
import { createDashboardHandler, errorResponse, type Asset, type DashboardResponse, type DashboardSources } from './handler.ts';

export interface DashboardServerOptions {
  readonly port: number;
  /** Default: every interface (the access rules decide who is answered). */
  readonly host?: string;
  readonly sources: Omit<DashboardSources, 'assets'>;
  readonly logger: Logger;
}

export interface DashboardServer {
  /** Listens; DeviceError('DASHBOARD_FAILED') naming dashboard.port when the port cannot be bound. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where it listens (null when not listening). */
  address(): { readonly host: string; readonly port: number } | null;
}

const ASSET_FILES: readonly (readonly [string, string, string])[] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
];

/** The page's files, read once (they ship next to this module; no build step). */
export function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map(ASSET_FILES.map(([path, file, type]) => [path, { type, body: readFileSync(new URL(`./public/${file}`, import.meta.url)) }]));
}

function send(res: ServerResponse, response: DashboardResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) });
  res.end(response.body);
}

const PARSER_ERRORS: Readonly<Record<string, readonly [number, 'HEADERS_TOO_LARGE' | 'URI_TOO_LONG' | 'BAD_REQUEST']>> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE'],
  HPE_URI_TOO_LONG: [414, 'URI_TOO_LONG'],
};

/** An answer written straight to the socket, for requests node never hands to the request handler. */
function answerRaw(socket: Duplex, response: DashboardResponse): void {
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`, ...Object.entries(response.headers).map(([k, v]) => `${k}: ${v}`)];
  head.push(`content-length: ${Buffer.byteLength(response.body)}`, 'connection: close');
  socket.on('error', () => {});
  socket.end(`${head.join('\r\n')}\r\n\r\n${response.body.toString()}`);
}

export function createDashboardServer(options: DashboardServerOptions): DashboardServer {
  const { logger } = options;
  const handle = createDashboardHandler({ ...options.sources, assets: loadAssets(), logger });
  let server: Server | null = null;
  const sockets = new Set<Socket>();

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // Errors on a dropped connection are the client's business, not a crash of the agent.
    req.on('error', () => {});
    res.on('error', () => {});
    req.resume(); // a body is never read; drain it so keep-alive goes on
    if (req.headers.host === undefined && req.httpVersion !== '1.0') {
      // node's own refusal (requireHostHeader) has no body; this one says what is wrong like every other.
      send(res, errorResponse(400, 'BAD_REQUEST', 'an HTTP/1.1 request needs a Host header', 'host'));
      return;
    }
    void handle({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { authorization: req.headers.authorization, host: req.headers.host },
      remoteAddress: req.socket.remoteAddress,
    })
      .then((response) => {
        if (!res.headersSent && !res.destroyed) send(res, response);
      })
      .catch((error: unknown) => logger.error({ err: error }, 'dashboard: answering failed'));
  };

  const onClientError = (error: Error & { code?: string }, socket: Socket) => {
    // A response already under way on this keep-alive socket cannot be followed by another (node's default
    // clientError handler makes the same check).
    if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const [status, code] = PARSER_ERRORS[error.code ?? ''] ?? [400, 'BAD_REQUEST'];
    answerRaw(socket, errorResponse(status, code, 'malformed HTTP request'));
  };

  const address = () => {
    const a = server?.address();
    if (a === null || a === undefined || typeof a === 'string') return null;
    return { host: a.address, port: a.port };
  };

  return {
    async start() {
      if (server !== null) return;
      const s = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000, requireHostHeader: false }, onRequest);
      s.maxConnections = 64;
      s.on('clientError', onClientError);
      // CONNECT and Upgrade requests bypass the request handler; without these node would drop them unanswered.
      s.on('connect', (_req: IncomingMessage, socket: Duplex) => answerRaw(socket, errorResponse(405, 'METHOD_NOT_ALLOWED', 'the dashboard is read-only: GET or HEAD', undefined, { allow: 'GET, HEAD' })));
      s.on('upgrade', (_req: IncomingMessage, socket: Duplex) => answerRaw(socket, errorResponse(400, 'BAD_REQUEST', 'the dashboard speaks plain HTTP only', 'upgrade')));
      s.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error) => reject(new DeviceError('DASHBOARD_FAILED', `cannot listen on port ${options.port}: ${describeError(error)}`, { field: 'dashboard.port', cause: error }));
        s.once('error', fail);
        s.listen({ port: options.port, ...(options.host === undefined ? {} : { host: options.host }) }, () => {
          s.off('error', fail);
          resolve();
        });
      });
      s.on('error', (error) => logger.error({ err: error }, 'dashboard server error'));
      server = s;
      const where = address();
      logger.info({ port: where?.port, host: where?.host }, 'dashboard listening');
    },
    async stop() {
      const s = server;
      if (s === null) return;
      server = null;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    address,
  };
}
