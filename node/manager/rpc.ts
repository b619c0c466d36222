/**
 * The manager's client methods and their bodies (deterministic CBOR through node/wire):
 *
 * - `manager/submit`: body = one encoded signed transaction (`encodeTx`); reply = {ok, hash, code, reason, message}
 *   — ok with the transaction hash, or a ManagerError code (REJECTED with the ledger's code as `reason`,
 *   DUPLICATE, MEMPOOL_FULL). Admission failures are replies, not transport errors, so they stay typed.
 * - `manager/head`: empty body; reply = {height, hash, stateRoot, mempool, acpHeight} of the last final block.
 */
import { decodeCbor, encodeCbor, s, type CborValue } from '../wire/index.ts';
import type { PeerRef, Rpc } from '../net/index.ts';
import { ManagerError, MANAGER_ERROR_CODES, type ManagerErrorCode } from './errors.ts';

export const SUBMIT_METHOD = 'manager/submit';
export const HEAD_METHOD = 'manager/head';
/** Between members: a transaction a client submitted to the sender (body = `encodeTx`, reply empty). */
export const TX_GOSSIP_METHOD = 'manager/tx';

const submitReplySchema = s.struct({
  ok: s.bool(),
  hash: s.bytes({ max: 32 }),
  code: s.text({ max: 32 }),
  reason: s.text({ max: 32 }),
  message: s.text({ max: 1024 }),
});
const headSchema = s.struct({
  height: s.u64(),
  hash: s.bytes({ len: 32 }),
  stateRoot: s.bytes({ len: 32 }),
  mempool: s.u64(),
  acpHeight: s.u64(),
});

export interface Head {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly stateRoot: Uint8Array;
  /** Transactions waiting in this manager's mempool. */
  readonly mempool: bigint;
  /** The consensus round this manager is in (0 when it takes no part). */
  readonly acpHeight: bigint;
}

export function encodeSubmitOk(hash: Uint8Array): Uint8Array {
  return encodeCbor({ ok: true, hash, code: '', reason: '', message: '' });
}

export function encodeSubmitError(error: ManagerError): Uint8Array {
  const message = error.message.slice(0, 1024);
  return encodeCbor({ ok: false, hash: new Uint8Array(0), code: error.code, reason: error.reason ?? '', message });
}

export function encodeHead(head: Head): Uint8Array {
  return encodeCbor(head as unknown as CborValue);
}

function parse<T>(schema: { parse(v: unknown, path: string): T }, bytes: Uint8Array, what: string): T {
  try {
    return schema.parse(decodeCbor(bytes, { maxSize: 4096 }), what);
  } catch (cause) {
    throw new ManagerError('BAD_REPLY', `${what}: ${(cause as Error).message}`, { cause });
  }
}

export function decodeHead(bytes: Uint8Array): Head {
  return parse(headSchema, bytes, 'head');
}

/** Submits an encoded transaction to a manager: its hash, or the manager's typed ManagerError. */
export async function submitTx(rpc: Rpc, manager: PeerRef, tx: Uint8Array, timeoutMs = 5_000): Promise<Uint8Array> {
  const reply = parse(submitReplySchema, await rpc.request(manager, SUBMIT_METHOD, tx, { timeoutMs }), 'submit reply');
  if (reply.ok) return reply.hash;
  const code = (MANAGER_ERROR_CODES as readonly string[]).includes(reply.code) ? (reply.code as ManagerErrorCode) : 'BAD_REPLY';
  throw new ManagerError(code, reply.message, reply.reason === '' ? {} : { reason: reply.reason });
}

export async function getHead(rpc: Rpc, manager: PeerRef, timeoutMs = 5_000): Promise<Head> {
  return decodeHead(await rpc.request(manager, HEAD_METHOD, new Uint8Array(0), { timeoutMs }));
}
