/**
 * A temporary worker's heartbeat to its duty manager (docs/worker.md "Heartbeats"): `manager/heartbeat`, body
 * CBOR {served, units} — the requests its service log holds and their workload units (⌈bytes / 1 KiB⌉ + compute
 * units each), cumulative — and the reply CBOR {intervalMs, counted}: the
 * interval length the manager counts in, which the worker then keeps (one heartbeat in the middle of each interval),
 * and the interval this heartbeat was counted in. The sender is the
 * caller's PeerId, authenticated by the transport, so nobody beats for another node.
 */
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import type { PeerRef, Rpc } from '../net/index.ts';
import { WorkerError } from './errors.ts';

export const HEARTBEAT_METHOD = 'manager/heartbeat';
/** The interval a manager counts in when nothing else is configured (SPEC §5: 10 s). */
export const DEFAULT_HEARTBEAT_MS = 10_000;

const requestSchema = s.struct({ served: s.u64(), units: s.optional(s.u64()) });
const replySchema = s.struct({ intervalMs: s.uint({ max: 3_600_000 }), counted: s.uint() });

function parse<T>(schema: { parse(v: unknown, path: string): T }, bytes: Uint8Array, what: string): T {
  try {
    return schema.parse(decodeCbor(bytes, { maxSize: 256 }), what);
  } catch (cause) {
    throw new WorkerError('MALFORMED', `${what}: ${(cause as Error).message}`, { cause });
  }
}

export const encodeHeartbeat = (served: bigint, units: bigint): Uint8Array => encodeCbor({ served, units });
export const decodeHeartbeat = (bytes: Uint8Array): { served: bigint; units?: bigint } => parse(requestSchema, bytes, 'heartbeat');
/** `counted`: the interval (index on the manager's clock) the heartbeat was counted in. */
export const encodeHeartbeatReply = (intervalMs: number, counted: number): Uint8Array => encodeCbor({ intervalMs, counted });
export function decodeHeartbeatReply(bytes: Uint8Array): { intervalMs: number; counted: number } {
  const reply = parse(replySchema, bytes, 'heartbeat reply');
  if (reply.intervalMs < 100) throw new WorkerError('MALFORMED', 'heartbeat reply: an interval is at least 100 ms', { field: 'intervalMs' });
  return reply;
}

/**
 * The index of a node's duty manager in the ledger's manager list: the one it sends heartbeats to and that
 * attaches it (node/manager/attacher.ts) — the node key's first two bytes modulo the count.
 */
export function dutyIndex(node: Uint8Array, count: number): number {
  return count === 0 ? 0 : ((node[0]! << 8) | node[1]!) % count;
}

/** Sends one heartbeat; the manager's interval and the one it counted this heartbeat in. */
export async function sendHeartbeat(
  rpc: Rpc,
  manager: PeerRef,
  counts: { readonly served: bigint; readonly units: bigint },
  timeoutMs = 5_000,
): Promise<{ intervalMs: number; counted: number }> {
  return decodeHeartbeatReply(await rpc.request(manager, HEARTBEAT_METHOD, encodeHeartbeat(counts.served, counts.units), { timeoutMs }));
}
