/**
 * The image repository over HTTP (node:http), at exactly the paths of node/fleetproto's `repositoryPath`:
 * `metadata/{timestamp,snapshot,targets}`, `metadata/root/<version>` and `targets/<name>`. Targets answer single
 * byte ranges (206 with Content-Range) so a device's download resumes; a range that is malformed, asks for several
 * parts or lies past the end is 416 (the device asks only `bytes=<offset>-`, so anything else is a client bug
 * better told than ignored). Unknown paths, root versions and targets are 404. GET and HEAD only.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RepositoryError } from './errors.ts';
import type { ImageDocument, ReleaseStore } from './release-store.ts';

export interface RepositoryServerLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RepositoryServerOptions {
  readonly store: Pick<ReleaseStore, 'document' | 'root' | 'targetFile'>;
  /** Interface (default 127.0.0.1) and port (default 0: a free one). */
  readonly host?: string;
  readonly port?: number;
  readonly logger?: RepositoryServerLogger;
}

export interface RepositoryServer {
  /** The base URL devices are offered (`http://host:port/`); NOT_STARTED before start resolves. */
  readonly url: string;
  start(): Promise<string>;
  stop(): Promise<void>;
}

const DOCUMENTS: ReadonlySet<string> = new Set<ImageDocument>(['timestamp', 'snapshot', 'targets']);
const ROOT_VERSION = /^[1-9][0-9]{0,8}$/;
const RANGE = /^bytes=(\d*)-(\d*)$/;

type Range = { readonly start: number; readonly end: number } | 'unsatisfiable';

/** The one byte range a Range header asks of a `length`-byte file (end inclusive). */
export function parseRange(header: string, length: number): Range {
  const match = RANGE.exec(header.trim());
  if (match === null) return 'unsatisfiable';
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return 'unsatisfiable';
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(first);
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1);
  if (start >= length || end < start) return 'unsatisfiable';
  return { start, end };
}

export function createRepositoryServer(options: RepositoryServerOptions): RepositoryServer {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let url: string | undefined;
  let server: Server | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    try {
      route(options, req, res);
    } catch (error) {
      options.logger?.warn({ err: error, url: req.url }, 'repository request failed');
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    }
  };

  return {
    get url() {
      if (url === undefined) throw new RepositoryError('NOT_STARTED', 'the repository server is not listening');
      return url;
    },
    async start() {
      if (server !== undefined) throw new RepositoryError('CLOSED', 'the repository server was started already');
      const s = createServer(handle);
      server = s;
      s.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (cause) => reject(new RepositoryError('LISTEN_FAILED', `cannot listen on ${host}:${options.port ?? 0}`, { cause })));
        s.listen(options.port ?? 0, host, () => resolve());
      });
      const address = s.address() as AddressInfo;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`;
      return url;
    },
    async stop() {
      const s = server;
      if (s === undefined || !s.listening) return;
      url = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function route(options: RepositoryServerOptions, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed');
  }
  const path = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
  if (path.startsWith('metadata/root/')) {
    const version = path.slice('metadata/root/'.length);
    const bytes = ROOT_VERSION.test(version) ? options.store.root(Number(version)) : undefined;
    return bytes === undefined ? send(res, 404, 'no such root version') : sendBytes(req, res, bytes);
  }
  if (path.startsWith('metadata/')) {
    const name = path.slice('metadata/'.length);
    return DOCUMENTS.has(name) ? sendBytes(req, res, options.store.document(name as ImageDocument)) : send(res, 404, 'no such document');
  }
  if (path.startsWith('targets/')) {
    let name: string;
    try {
      name = decodeURIComponent(path.slice('targets/'.length));
    } catch {
      return send(res, 404, 'no such target');
    }
    const file = options.store.targetFile(name);
    return file === undefined ? send(res, 404, 'no such target') : sendTarget(req, res, file);
  }
  send(res, 404, 'not found');
}

function send(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${message}\n`);
}

function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Uint8Array): void {
  // Metadata changes under the same path (a new timestamp): no cache may serve an old one.
  res.writeHead(200, { 'Content-Type': 'application/cbor', 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function sendTarget(req: IncomingMessage, res: ServerResponse, file: { readonly path: string; readonly length: number }): void {
  const header = req.headers.range;
  const headers = { 'Content-Type': 'application/gzip', 'Accept-Ranges': 'bytes' };
  let start = 0;
  let end = file.length - 1;
  if (header === undefined) {
    res.writeHead(200, { ...headers, 'Content-Length': file.length });
  } else {
    const range = parseRange(header, file.length);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.length}` });
      return void res.end();
    }
    ({ start, end } = range);
    res.writeHead(206, { ...headers, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${file.length}` });
  }
  if (req.method === 'HEAD' || file.length === 0) return void res.end();
  const stream = createReadStream(file.path, { start, end });
  stream.once('error', () => res.destroy());
  stream.pipe(res);
}
