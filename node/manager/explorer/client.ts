/**
 * A client of the explorer API (fetch): typed JSON shapes of the endpoints the CLI and wallets use, errors of the
 * API relayed as ExplorerError (its own codes kept, others as REFUSED with the remote code as `reason`), and
 * UNREACHABLE / BAD_RESPONSE for a server that does not answer or answers something else.
 */
import { ExplorerError, type ExplorerErrorCode } from './errors.ts';

/** The codes a server sends that are kept as they are (client-side codes are never taken from a server). */
const SERVER_CODES = new Set<string>([
  'BAD_REQUEST',
  'BAD_HEIGHT',
  'BAD_HASH',
  'BAD_HEX',
  'BAD_ADDRESS',
  'BAD_RANGE',
  'NOT_FOUND',
  'UNKNOWN_ACCOUNT',
  'NOT_AVAILABLE',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA',
  'TOO_LARGE',
]);

export interface CertificateJson {
  readonly member: string;
  readonly sig: string;
}

export interface HeadJson {
  readonly chainId: string;
  readonly height: string;
  readonly hash: string;
  readonly stateRoot: string;
  readonly time: string;
  readonly kind: string;
  readonly certified: boolean;
}

export interface GenesisJson {
  readonly id: string;
  readonly chainName: string;
  readonly encoding: string;
  readonly stateRoot: string;
}

export interface HeaderEntryJson {
  readonly height: string;
  readonly hash: string;
  /** The header's encoding (hex): decodeHeader it. */
  readonly header: string;
  readonly certificate: readonly CertificateJson[];
  readonly managersProof?: string;
  readonly txs?: readonly string[];
}

export interface HeadersJson {
  readonly head: string;
  readonly headers: readonly HeaderEntryJson[];
}

export interface AccountJson {
  readonly address: string;
  readonly height: string;
  readonly root: string;
  readonly proof: string;
  readonly balance: string;
  readonly spendable: string;
  readonly nonce: string;
}

export interface TxJson {
  readonly hash: string;
  readonly status: 'final' | 'pending';
  readonly height?: string;
  readonly index?: number;
  readonly blockHash?: string;
  readonly ok?: boolean;
  readonly code?: string | null;
  readonly message?: string | null;
  readonly kind?: string;
  readonly signer?: string;
  readonly nonce?: string;
  readonly fee?: string;
  readonly body?: Record<string, unknown>;
}

export interface BlockTxJson {
  readonly index: number;
  readonly hash: string;
  readonly ok: boolean;
  readonly code: string | null;
  readonly kind?: string;
  readonly signer?: string;
}

/** A node record as /api/nodes lists it (the fields a client needs; the rest are left as the server sent them). */
export interface NodeJson {
  readonly key: string;
  readonly role: string;
  readonly status: string;
  readonly unity: string;
  readonly account: string;
  readonly [field: string]: unknown;
}

export interface BlockJson {
  readonly height: string;
  readonly hash: string;
  readonly time: string;
  readonly size: number;
  readonly header: Record<string, unknown> & { readonly kind: string; readonly proposer: string; readonly stateRoot: string };
  readonly certificate: readonly CertificateJson[];
  readonly txs: readonly BlockTxJson[];
}

export interface ExplorerClientOptions {
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
}

function relayed(status: number, body: unknown, url: string): ExplorerError {
  const { code, reason, message, ...details } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = typeof message === 'string' ? message : `HTTP ${status}`;
  const remote = typeof code === 'string' ? code : `HTTP_${status}`;
  const why = typeof reason === 'string' && reason !== '' ? reason : undefined;
  if (SERVER_CODES.has(remote)) {
    return new ExplorerError(remote as ExplorerErrorCode, text, { status, details, ...(why === undefined ? {} : { reason: why }) });
  }
  const shown = why === undefined ? remote : `${remote}/${why}`;
  return new ExplorerError('REFUSED', `${url} refused: ${shown}: ${text}`, { status, reason: shown, details });
}

export class ExplorerClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: ExplorerClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new ExplorerError('BAD_REQUEST', `not a URL: ${JSON.stringify(baseUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ExplorerError('BAD_REQUEST', `not an http(s) URL: ${baseUrl}`);
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async #request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (cause) {
      const why = (cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message;
      throw new ExplorerError('UNREACHABLE', `no answer from ${this.baseUrl}: ${why}`, { cause });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ExplorerError('BAD_RESPONSE', `${url} answered HTTP ${response.status} without JSON`);
    }
    if (!response.ok) throw relayed(response.status, body, this.baseUrl);
    if (typeof body !== 'object' || body === null) throw new ExplorerError('BAD_RESPONSE', `${url} answered something other than an object`);
    return body as T;
  }

  head(): Promise<HeadJson> {
    return this.#request('/api/head');
  }

  genesis(): Promise<GenesisJson> {
    return this.#request('/api/genesis');
  }

  /** A block by height or by hash. */
  block(id: string): Promise<BlockJson> {
    return this.#request(`/api/blocks/${encodeURIComponent(id)}`);
  }

  tx(hash: string): Promise<TxJson> {
    return this.#request(`/api/txs/${encodeURIComponent(hash)}`);
  }

  headers(from: bigint, to: bigint): Promise<HeadersJson> {
    return this.#request(`/api/headers?from=${from}&to=${to}`);
  }

  account(address: string, height?: bigint): Promise<AccountJson> {
    const query = height === undefined ? '' : `?height=${height}`;
    return this.#request(`/api/accounts/${encodeURIComponent(address)}${query}`);
  }

  /** Every node record at the final head (managers, workers, temporary workers). */
  nodes(): Promise<{ readonly nodes: readonly NodeJson[] }> {
    return this.#request('/api/nodes');
  }

  /** Submits an encoded transaction; its hash (hex), or the refusal (REFUSED with reason REJECTED/<ledger code>, …). */
  async submit(tx: Uint8Array): Promise<string> {
    const reply = await this.#request<{ hash?: unknown }>('/api/txs', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from(tx).toString('hex'),
    });
    if (typeof reply.hash !== 'string') throw new ExplorerError('BAD_RESPONSE', 'the submit reply has no hash');
    return reply.hash;
  }
}
