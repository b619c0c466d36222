/**
 * The explorer's HTTP server (node:http; docs/explorer.md): JSON over GET for web pages (CORS open to every
 * origin), POST /api/txs for wallets. Every failure is a typed error turned into a status by `errorReply`; only a
 * bug is a 500, logged and answered without its message.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NetLogger } from '../../net/index.ts';
import { ExplorerError, errorReply } from './errors.ts';
import { type Json, parseHexBody, shorten } from './json.ts';
import { isPageRequest, servePage } from './page.ts';
import type { RingMapProvider } from './ring-map.ts';
import type { FleetProvider } from './fleet-view.ts';
import { GET_ROUTES } from './routes.ts';
import type { ExplorerSource } from './source.ts';

export const DEFAULT_EXPLORER_PORT = 7700;
/** The largest POST body (an encoded transaction is at most 64 KiB; hex doubles it). */
export const MAX_BODY_BYTES = 128 * 1024;
/** An oversized body up to this size is read and dropped so the client sees the 413; beyond it the connection is cut. */
const DRAIN_LIMIT = 1024 * 1024;

export interface ExplorerServerOptions {
  readonly source: ExplorerSource;
  /** Default 127.0.0.1 (nothing is exposed unless configured). */
  readonly host?: string;
  /** Default 7700; 0 picks a free port. */
  readonly port?: number;
  readonly logger?: NetLogger;
  readonly maxBodyBytes?: number;
  /** The full ring map for GET /api/ring/map and the page (e.g. the ring authority's); absent: 404 NOT_AVAILABLE. */
  readonly ringMap?: RingMapProvider;
  /** The devices this process looks after, for GET /api/fleet; absent: 404 NOT_AVAILABLE. */
  readonly fleet?: FleetProvider;
}

interface Reply {
  readonly status: number;
  readonly body: Json;
  readonly headers?: Readonly<Record<string, string>>;
  /** Close the connection after replying (an unread body is still on it). */
  readonly close?: boolean;
}

const CORS = { 'access-control-allow-origin': '*' };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

class BodyTooLarge extends ExplorerError {
  readonly drained: boolean;
  constructor(max: number, drained: boolean) {
    super('TOO_LARGE', `the body is larger than ${max} bytes`);
    this.drained = drained;
  }
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > DRAIN_LIMIT) throw new BodyTooLarge(max, false);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > DRAIN_LIMIT) throw new BodyTooLarge(max, false);
    if (size <= max) chunks.push(chunk);
  }
  if (size > max) throw new BodyTooLarge(max, true);
  return Buffer.concat(chunks);
}

/** The transaction bytes of a POST /api/txs body: raw (octet-stream), hex text, or JSON {"tx": hex}. */
function txBytes(req: IncomingMessage, body: Buffer): Uint8Array {
  const type = mediaType(req);
  if (type === 'application/octet-stream') {
    if (body.length === 0) throw new ExplorerError('BAD_REQUEST', 'the body is empty');
    return new Uint8Array(body);
  }
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ExplorerError('BAD_REQUEST', 'the body is not JSON');
    }
    const tx = (parsed as { tx?: unknown } | null)?.tx;
    if (typeof tx !== 'string') throw new ExplorerError('BAD_REQUEST', 'expected {"tx": "<hex>"}');
    return parseHexBody(tx);
  }
  if (type === '' || type === 'text/plain') return parseHexBody(body.toString('latin1'));
  throw new ExplorerError('UNSUPPORTED_MEDIA', `unsupported content type ${JSON.stringify(shorten(type, 40))}`);
}

/** The path's segments after /api, percent-decoded; BAD_REQUEST for a path that cannot be read. */
function segments(url: string): { parts: string[]; query: URLSearchParams } {
  if (!url.startsWith('/')) throw new ExplorerError('BAD_REQUEST', 'the request target is not a path');
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const raw = path.split('/').slice(1);
  if (raw.length > 1 && raw.at(-1) === '') raw.pop();
  try {
    return { parts: raw.map((part) => decodeURIComponent(part)), query };
  } catch {
    throw new ExplorerError('BAD_REQUEST', 'the path has a bad percent-encoding');
  }
}

/** A request node:http could not parse (or that timed out) still gets a JSON answer, then the connection closes. */
function answerBrokenRequest(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text, code] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'TOO_LARGE']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'BAD_REQUEST']
        : [400, 'Bad Request', 'BAD_REQUEST'];
  const body = JSON.stringify({ code, reason: err.code ?? '', message: 'the request is not valid HTTP' });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export class ExplorerServer {
  readonly #o: ExplorerServerOptions;
  readonly #server: Server;
  readonly #max: number;
  #address: AddressInfo | undefined;
  #ringMap: RingMapProvider | undefined;
  #fleet: FleetProvider | undefined;

  constructor(options: ExplorerServerOptions) {
    this.#o = options;
    this.#ringMap = options.ringMap;
    this.#fleet = options.fleet;
    this.#max = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        options.logger?.warn({ err }, 'explorer reply failed');
        res.destroy();
      });
    });
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 30_000;
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerBrokenRequest(err, socket));
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const host = this.#o.host ?? '127.0.0.1';
    const port = this.#o.port ?? DEFAULT_EXPLORER_PORT;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#address = this.#server.address() as AddressInfo;
    return this.#address;
  }

  /** http://host:port of the listening server. */
  get url(): string {
    if (this.#address === undefined) throw new ExplorerError('NOT_AVAILABLE', 'the explorer is not listening');
    const { address, family, port } = this.#address;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  }

  /** Sets (or removes) the ring map provider after start, e.g. once the ring authority runs. */
  setRingMap(provider: RingMapProvider | undefined): void {
    this.#ringMap = provider;
  }

  /** Sets (or removes) the devices provider after start, e.g. once the device processes run. */
  setFleet(provider: FleetProvider | undefined): void {
    this.#fleet = provider;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (isPageRequest(req)) {
      servePage(req, res);
      return;
    }
    let reply: Reply;
    try {
      reply = await this.#dispatch(req);
    } catch (error) {
      const { status, body } = errorReply(error);
      if (status >= 500 && status !== 503) this.#o.logger?.warn({ err: error, url: shorten(req.url ?? '', 200) }, 'explorer request failed');
      reply = { status, body: body as Json, close: error instanceof BodyTooLarge && !error.drained };
    }
    const text = reply.status === 204 ? '' : JSON.stringify(reply.body);
    const allow = reply.status === 405 ? (reply.body as { allow?: string }).allow : undefined;
    res.writeHead(reply.status, {
      ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(READ_METHODS.has(req.method ?? '') ? CORS : {}),
      ...(reply.close === true ? { connection: 'close' } : {}),
      ...(allow === undefined ? {} : { allow }),
      ...reply.headers,
    });
    res.end(text, () => {
      if (reply.close === true) req.socket.destroy();
    });
  }

  async #dispatch(req: IncomingMessage): Promise<Reply> {
    const { parts, query } = segments(req.url ?? '/');
    const [api, name, rest, ...extra] = parts;
    const route = name === undefined ? undefined : Object.hasOwn(GET_ROUTES, name) ? GET_ROUTES[name] : undefined;
    if (api !== 'api' || route === undefined || extra.length > 0) throw new ExplorerError('NOT_FOUND', 'no such endpoint');
    const method = req.method ?? 'GET';
    if (method === 'POST' && name === 'txs' && rest === undefined) {
      const hash = await this.#o.source.submit(txBytes(req, await readBody(req, this.#max)));
      return { status: 200, body: { hash: Buffer.from(hash).toString('hex') } };
    }
    if (method === 'OPTIONS') {
      const headers = { 'access-control-allow-methods': 'GET, HEAD, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' };
      return { status: 204, body: null, headers };
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const allow = name === 'txs' && rest === undefined ? 'POST' : 'GET, HEAD, OPTIONS';
      throw new ExplorerError('METHOD_NOT_ALLOWED', `${shorten(method, 16)} is not allowed here`, { details: { allow } });
    }
    if ((route.rest === 'none' && rest !== undefined) || (route.rest === 'one' && rest === undefined)) {
      throw new ExplorerError('NOT_FOUND', 'no such endpoint');
    }
    return { status: 200, body: route.run(this.#o.source, query, rest, { ringMap: this.#ringMap, fleet: this.#fleet }) };
  }
}
