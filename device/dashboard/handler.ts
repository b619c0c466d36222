/**
 * The dashboard's routes as a pure function from a request to a response (server.ts adapts node:http to it),
 * so access rules and error answers are tested without sockets. Every refusal is a JSON body
 * `{ error: { code, message, field? } }` with a stable code; nothing a client sends can make it throw.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { AgentStatus } from '../agent-status.ts';
import { describeError } from '../errors.ts';
import type { LedgerSnapshot, NodeRuntime } from '../runtime.ts';
import { checkAccess } from './access.ts';
import type { HistorySample } from './history.ts';
import { ledgerFigures, type LedgerFigures } from './ledger-figures.ts';
import { METRICS_CONTENT_TYPE, renderMetrics, type ProcessFigures } from './metrics.ts';
import { historyJson, ledgerJson, statusJson, type LedgerJson } from './views.ts';

export type HttpErrorCode =
  | 'BAD_REQUEST' // a malformed request line, header or query parameter (`field` names the parameter)
  | 'UNAUTHORIZED' // dashboard.password is set and the request did not carry it
  | 'FORBIDDEN' // not from the local network (without a password), or a Host header that is no local name
  | 'NOT_FOUND' // no such page or endpoint
  | 'METHOD_NOT_ALLOWED' // anything but GET and HEAD
  | 'URI_TOO_LONG' // a request target over MAX_TARGET_LENGTH
  | 'HEADERS_TOO_LARGE' // the request's headers overflow the server's limit
  | 'INTERNAL'; // a bug: logged, and answered without details

export const HTTP_ERROR_CODES: readonly HttpErrorCode[] = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'INTERNAL',
];

export const MAX_TARGET_LENGTH = 2048;

export interface DashboardRequest {
  readonly method: string;
  /** The request target as sent ('/api/status?x=1'). */
  readonly url: string;
  readonly headers: { readonly authorization?: string | undefined; readonly host?: string | undefined };
  readonly remoteAddress: string | undefined;
}

export interface DashboardResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export type LedgerRead = { readonly snapshot: LedgerSnapshot } | { readonly reason: string };

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

export interface DashboardSources {
  status(): Promise<AgentStatus>;
  ledger(): Promise<LedgerRead>;
  history(): { readonly samples: readonly HistorySample[]; readonly everyMs: number; readonly capacity: number };
  /** Read on every request: the password is a live config key. */
  password(): string | null;
  processFigures(): ProcessFigures;
  /** Path ('/', '/app.js', …) → file. */
  readonly assets: ReadonlyMap<string, Asset>;
  readonly logger: Logger;
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function errorResponse(status: number, code: HttpErrorCode, message: string, field?: string, extra: Record<string, string> = {}): DashboardResponse {
  return {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra },
    body: JSON.stringify({ error: { code, message, ...(field === undefined ? {} : { field }) } }),
  };
}

function jsonResponse(value: unknown): DashboardResponse {
  return { status: 200, headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value) };
}

/** Reads the runtime's ledger snapshot, saying why there is none. */
export async function readLedger(runtime: NodeRuntime | null): Promise<LedgerRead> {
  if (runtime === null) return { reason: 'the node is not running' };
  if (runtime.ledger === undefined) return { reason: 'this node runtime does not read the ledger' };
  try {
    const snapshot = await runtime.ledger();
    return snapshot === undefined ? { reason: 'the node has not read the ledger yet' } : { snapshot };
  } catch (error) {
    return { reason: `reading the ledger failed: ${describeError(error)}` };
  }
}

/**
 * Host names a browser on the local network uses for the box. Without a password, any other Host is refused:
 * a web page elsewhere could otherwise point its own name at the box's private address (DNS rebinding) and read
 * the API through the owner's browser.
 */
export function isLocalHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0; node refuses an HTTP/1.1 request without one
  if (host.startsWith('[')) return /^\[[0-9a-fA-F:.]+\](:\d*)?$/.test(host) && isIP(host.slice(1, host.indexOf(']'))) === 6;
  const name = host.replace(/:\d*$/, '').toLowerCase();
  if (isIP(name) !== 0) return true;
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/.test(name)) return false;
  const bare = name.replace(/\.$/, '');
  return !bare.includes('.') || /\.(local|lan|home\.arpa|internal|localhost)$/.test(bare) || bare === 'localhost';
}

const API_QUERY: Readonly<Record<string, readonly string[]>> = {
  '/api/status': [],
  '/api/ledger': [],
  '/api/history': ['limit'],
  '/metrics': [],
};

export function createDashboardHandler(sources: DashboardSources): (request: DashboardRequest) => Promise<DashboardResponse> {
  const ledgerNow = async (): Promise<{ figures: LedgerFigures | null; json: LedgerJson }> => {
    const read = await sources.ledger();
    if ('reason' in read) return { figures: null, json: { available: false, reason: read.reason } };
    const figures = ledgerFigures(read.snapshot);
    return { figures, json: ledgerJson(figures) };
  };

  const route = async (path: string, query: URLSearchParams): Promise<DashboardResponse> => {
    const allowed = API_QUERY[path];
    if (allowed !== undefined) {
      for (const name of new Set(query.keys())) {
        if (!allowed.includes(name)) return errorResponse(400, 'BAD_REQUEST', `unknown query parameter ${JSON.stringify(name).slice(0, 80)}`, name.slice(0, 64));
      }
    }
    switch (path) {
      case '/api/status':
        return jsonResponse(statusJson(await sources.status()));
      case '/api/ledger':
        return jsonResponse((await ledgerNow()).json);
      case '/api/history': {
        const { samples, everyMs, capacity } = sources.history();
        const raw = query.getAll('limit');
        let limit = samples.length;
        if (raw.length > 0) {
          if (raw.length > 1 || !/^[1-9][0-9]{0,8}$/.test(raw[0]!)) {
            return errorResponse(400, 'BAD_REQUEST', 'limit: expected one integer 1..999999999', 'limit');
          }
          limit = Math.min(limit, Number(raw[0]));
        }
        return jsonResponse(historyJson(samples.slice(samples.length - limit), everyMs, capacity));
      }
      case '/metrics': {
        const [status, ledger] = await Promise.all([sources.status(), ledgerNow()]);
        const body = renderMetrics(status, ledger.figures, sources.processFigures());
        return { status: 200, headers: { ...COMMON_HEADERS, 'content-type': METRICS_CONTENT_TYPE }, body };
      }
    }
    const asset = sources.assets.get(path);
    if (asset === undefined) return errorResponse(404, 'NOT_FOUND', 'no such page');
    const csp: Record<string, string> = asset.type.startsWith('text/html') ? { 'content-security-policy': PAGE_CSP } : {};
    return { status: 200, headers: { ...COMMON_HEADERS, 'content-type': asset.type, ...csp }, body: asset.body };
  };

  return async (request) => {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return errorResponse(405, 'METHOD_NOT_ALLOWED', 'the dashboard is read-only: GET or HEAD', undefined, { allow: 'GET, HEAD' });
      }
      const password = sources.password();
      const access = checkAccess(request.remoteAddress, request.headers.authorization, password);
      if (!access.ok) {
        const challenge: Record<string, string> = access.status === 401 ? { 'www-authenticate': 'Basic realm="ame device", charset="UTF-8"' } : {};
        return errorResponse(access.status, access.code, access.message, undefined, challenge);
      }
      if (password === null && !isLocalHostHeader(request.headers.host)) {
        return errorResponse(403, 'FORBIDDEN', 'the Host header names no local address (set dashboard.password to use another name)', 'host');
      }
      if (request.url.length > MAX_TARGET_LENGTH) return errorResponse(414, 'URI_TOO_LONG', `the request target is over ${MAX_TARGET_LENGTH} characters`);
      if (!request.url.startsWith('/') || request.url.startsWith('//')) {
        return errorResponse(400, 'BAD_REQUEST', 'the request target must be a path', 'url');
      }
      let url: URL;
      try {
        url = new URL(request.url, 'http://dashboard.invalid');
      } catch {
        return errorResponse(400, 'BAD_REQUEST', 'the request target is not a valid path', 'url');
      }
      const response = await route(url.pathname, url.searchParams);
      return request.method === 'HEAD' ? { ...response, body: '' } : response;
    } catch (error) {
      sources.logger.error({ err: error, url: request.url.slice(0, 200) }, 'dashboard request failed');
      return errorResponse(500, 'INTERNAL', 'the dashboard could not answer this request');
    }
  };
}
