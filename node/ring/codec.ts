/** Shared pieces of the ring's encodings: PeerRefs, ring parameters, and schema decoding that speaks RingError. */
import { decodeCbor, s, WireError, type CborValue, type Schema } from '../wire/index.ts';
import { RingError } from './errors.ts';
import {
  MAX_ADDR_LENGTH,
  MAX_ADDRS,
  MAX_PEER_ID_LENGTH,
  MAX_SERVER_LIMIT,
  type RingParams,
  type ServerEntry,
} from './map.ts';

// Text limits are in UTF-8 bytes on the wire; the validators apply the exact limits (in UTF-16 units) afterwards,
// so these only have to be at least as generous: a UTF-16 unit is at most 3 UTF-8 bytes.
export const peerIdText = s.text({ min: 1, max: 3 * MAX_PEER_ID_LENGTH });

export const peerRefSchema = s.struct({
  id: peerIdText,
  addrs: s.array(s.text({ min: 1, max: 3 * MAX_ADDR_LENGTH }), { max: MAX_ADDRS }),
});

/** A PeerRef as a CBOR value with exactly its two fields, whatever else the caller's object carries. */
export function peerRefToCbor(entry: ServerEntry): CborValue {
  return { id: entry.id, addrs: [...entry.addrs] };
}

/** RingParams on the wire; validateParams checks the relations between the fields. */
export const ringParamsSchema = s.struct({
  serverLimit: s.uint({ max: MAX_SERVER_LIMIT }),
  minServers: s.uint({ max: MAX_SERVER_LIMIT }),
  replicas: s.uint({ max: MAX_SERVER_LIMIT }),
  heartbeatMs: s.uint(),
  downAfterMs: s.uint(),
});

export function ringParamsToCbor(params: RingParams): CborValue {
  const { serverLimit, minServers, replicas, heartbeatMs, downAfterMs } = params;
  return { serverLimit, minServers, replicas, heartbeatMs, downAfterMs };
}

function asRingError(error: unknown, what: string): unknown {
  return error instanceof WireError ? new RingError('MALFORMED', `${what}: ${error.message}`, { cause: error }) : error;
}

/** Checks an already decoded value; a WireError becomes RingError MALFORMED with the WireError as cause. */
export function parseWith<T>(value: unknown, schema: Schema<T>, what: string): T {
  try {
    return schema.parse(value, what);
  } catch (error) {
    throw asRingError(error, what);
  }
}

/** Decodes canonical CBOR of at most maxSize bytes and checks it; every failure is RingError MALFORMED. */
export function decodeWith<T>(bytes: Uint8Array, schema: Schema<T>, what: string, maxSize: number): T {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { maxSize });
  } catch (error) {
    throw asRingError(error, what);
  }
  return parseWith(value, schema, what);
}
