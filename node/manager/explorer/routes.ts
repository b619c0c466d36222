/**
 * The explorer's endpoints (docs/explorer.md "Endpoints"): each GET route reads the source and returns a JSON
 * view; POST /api/txs submits. Routes throw typed errors; http.ts turns them into statuses in one place.
 */
import { parseHash, parseHeight, optionalHeight, type Json, toJson } from './json.ts';
import { ExplorerError } from './errors.ts';
import type { ExplorerSource } from './source.ts';
import { accountView, blockView, genesisView, headerEntryView, headView, summaryView, txView } from './views.ts';
import { MAX_RANGE } from '../chain-store.ts';
import { ringMapRoute, type RingMapProvider } from './ring-map.ts';
import { type FleetProvider, fleetRoute } from './fleet-view.ts';

/** Blocks /api/blocks lists by default, and at most. */
export const DEFAULT_BLOCK_LIST = 20n;
export const MAX_BLOCK_LIST = 100n;

/** What the server knows besides its source. */
export interface RouteContext {
  readonly ringMap: RingMapProvider | undefined;
  readonly fleet: FleetProvider | undefined;
}

export type GetRoute = (source: ExplorerSource, query: URLSearchParams, rest: string | undefined, context: RouteContext) => Json;

function blockList(source: ExplorerSource, query: URLSearchParams): Json {
  const head = source.head().height;
  const limit = optionalHeight(query.get('limit'), 'limit') ?? DEFAULT_BLOCK_LIST;
  if (limit < 1n || limit > MAX_BLOCK_LIST) throw new ExplorerError('BAD_RANGE', `limit must be 1…${MAX_BLOCK_LIST}`);
  const order = query.get('order') ?? 'desc';
  if (order !== 'desc' && order !== 'asc') throw new ExplorerError('BAD_REQUEST', 'order must be asc or desc');
  const from = optionalHeight(query.get('from'), 'from') ?? (order === 'desc' ? head : 1n);
  let low: bigint;
  let high: bigint;
  if (order === 'desc') {
    high = from < head ? from : head;
    low = high - limit + 1n < 1n ? 1n : high - limit + 1n;
  } else {
    low = from < 1n ? 1n : from;
    high = low + limit - 1n;
  }
  const blocks = high < 1n || low > high ? [] : source.headers(low, high);
  const listed = order === 'desc' ? [...blocks].reverse() : blocks;
  return { head: head.toString(), blocks: listed.map(summaryView) };
}

function oneBlock(source: ExplorerSource, id: string): Json {
  const block = /^[0-9a-fA-F]{64}$/.test(id) ? source.blockByHash(parseHash(id)) : source.block(parseHeight(id));
  if (block === undefined) throw new ExplorerError('NOT_FOUND', `no block ${id}`);
  return blockView(block);
}

function headers(source: ExplorerSource, query: URLSearchParams): Json {
  const head = source.head().height;
  const from = optionalHeight(query.get('from'), 'from') ?? 1n;
  if (from < 1n) throw new ExplorerError('BAD_RANGE', 'from starts at 1 (the genesis has no header)');
  const to = optionalHeight(query.get('to'), 'to') ?? from + BigInt(MAX_RANGE) - 1n;
  if (to < from) throw new ExplorerError('BAD_RANGE', `from ${from} is above to ${to}`);
  const entries = from > head ? [] : source.headers(from, to);
  return { head: head.toString(), headers: entries.map(headerEntryView) };
}

function tx(source: ExplorerSource, id: string): Json {
  const hash = parseHash(id);
  const entry = source.tx(hash);
  if (entry !== undefined) return txView(entry);
  if (source.pending?.(hash) === true) return toJson({ hash, status: 'pending' });
  throw new ExplorerError('NOT_FOUND', `no transaction ${id} in a final block or the mempool`);
}

function account(source: ExplorerSource, query: URLSearchParams, address: string): Json {
  const proof = source.account(address, optionalHeight(query.get('height'), 'height'));
  if (proof.record === undefined) {
    // The proof of absence goes with the refusal: a light client can check that the account really is absent.
    const details = toJson({ address, height: proof.height, root: proof.root, proof: proof.proof }) as Record<string, Json>;
    throw new ExplorerError('UNKNOWN_ACCOUNT', `no account ${address} at height ${proof.height}`, { details });
  }
  return accountView(proof);
}

/** Accounts GET /api/accounts lists by default, and at most. */
export const DEFAULT_ACCOUNT_LIST = 20n;
export const MAX_ACCOUNT_LIST = 100n;

function accountList(source: ExplorerSource, query: URLSearchParams): Json {
  const limit = optionalHeight(query.get('limit'), 'limit') ?? DEFAULT_ACCOUNT_LIST;
  if (limit < 1n || limit > MAX_ACCOUNT_LIST) throw new ExplorerError('BAD_RANGE', `limit must be 1…${MAX_ACCOUNT_LIST}`);
  const { count, accounts } = source.accounts(Number(limit));
  return toJson({ count, accounts });
}

function roles(source: ExplorerSource): Json {
  if (source.roles === undefined) throw new ExplorerError('NOT_AVAILABLE', 'this manager does not publish Unity roles');
  return { roles: toJson(source.roles()) };
}

function ringMap(rest: string, context: RouteContext): Json {
  if (rest !== 'map') throw new ExplorerError('NOT_FOUND', 'no such endpoint');
  return ringMapRoute(context.ringMap);
}

/** GET routes by their first path segment after /api/; `rest` is the one segment after it, if any. */
export const GET_ROUTES: Readonly<Record<string, { readonly rest: 'none' | 'one' | 'optional'; readonly run: GetRoute }>> = {
  head: { rest: 'none', run: (s) => headView(s.head()) },
  genesis: { rest: 'none', run: (s) => genesisView(s.genesis()) },
  blocks: { rest: 'optional', run: (s, q, rest) => (rest === undefined ? blockList(s, q) : oneBlock(s, rest)) },
  headers: { rest: 'none', run: (s, q) => headers(s, q) },
  txs: { rest: 'one', run: (s, _q, rest) => tx(s, rest!) },
  accounts: { rest: 'optional', run: (s, q, rest) => (rest === undefined ? accountList(s, q) : account(s, q, rest)) },
  nodes: { rest: 'none', run: (s) => ({ nodes: toJson(s.nodes()) }) },
  ring: { rest: 'optional', run: (s, _q, rest, c) => (rest === undefined ? toJson(s.ringMap()) : ringMap(rest, c)) },
  roles: { rest: 'none', run: (s) => roles(s) },
  fleet: { rest: 'none', run: (_s, _q, _rest, c) => fleetRoute(c.fleet) },
};
