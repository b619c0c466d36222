/**
 * Service-log entries (SPEC §6 item 3): the record of one served request, its deterministic binary encoding and
 * the hash chain over entries.
 *
 * Encoding, format 1 (all integers big-endian u64 ≤ 2^53 − 1; fixed fields first so seq and time sit at fixed
 * offsets and the engine can stamp them into a buffer encoded before they were known):
 *
 *   offset  size  field
 *        0     1  format = 1
 *        1     8  seq
 *        9     8  time (ms since the Unix epoch)
 *       17     8  bytes
 *       25     8  computeUnits
 *       33     8  latencyMs
 *       41    32  resultHash
 *       73    32  receiptHash
 *      105  1+n   requestId (n = 1..32)
 *         1+n     client (n = 1..64: a 32-byte id or the UTF-8 of an address)
 *         1+n     service (n = 1..32, ASCII [a-z][a-z0-9._-]*)
 *
 * The decoder refuses anything the encoder would not write (unknown format, out-of-range lengths, values over
 * 2^53 − 1, bytes outside the service alphabet, trailing bytes), so decode ∘ encode is the identity on bytes.
 *
 * Chain: h_i = SHA-256('AME-LOG-v1' ‖ 0x00 ‖ h_{i−1} ‖ encode(entry_i)), h_0 = 32 zero bytes. The tag keeps a
 * log hash from ever being mistaken for a hash of another AME structure over the same bytes.
 */
import { ByteReader, HASH_LENGTH, hashParts, isBytes, isUint, writeU64, ZERO_HASH } from './service-log-codec.ts';
import { ServiceLogError } from './service-log-errors.ts';

export const ENTRY_FORMAT = 1;
export const MAX_REQUEST_ID_LENGTH = 32;
export const MAX_CLIENT_LENGTH = 64;
export const MAX_SERVICE_LENGTH = 32;
const SEQ_OFFSET = 1;
const TIME_OFFSET = 9;
const FIXED_LENGTH = 105;
export const MAX_ENTRY_LENGTH = FIXED_LENGTH + 3 + MAX_REQUEST_ID_LENGTH + MAX_CLIENT_LENGTH + MAX_SERVICE_LENGTH;

/** ASCII only, so a service name has one encoding (no Unicode normalisation question) and one length. */
const SERVICE_NAME = /^[a-z][a-z0-9._-]{0,31}$/;

export const CHAIN_TAG = 'AME-LOG-v1';
const CHAIN_PREFIX = new Uint8Array([...new TextEncoder().encode(CHAIN_TAG), 0]);
/** h_0: the chain hash before the first entry. */
export const GENESIS_CHAIN_HASH: Uint8Array = ZERO_HASH;

export interface ServiceLogEntry {
  /** Position in the log, from 1, assigned by the log. */
  readonly seq: number;
  /** Milliseconds since the Unix epoch, assigned by the log's clock and never decreasing along the log. */
  readonly time: number;
  readonly requestId: Uint8Array;
  readonly client: Uint8Array;
  /** e.g. 'store', 'fetch', 'relay'. */
  readonly service: string;
  readonly bytes: number;
  readonly computeUnits: number;
  /** Hash of the result served (content address, response digest). */
  readonly resultHash: Uint8Array;
  readonly latencyMs: number;
  /** Hash of the receipt that paid for the request. */
  readonly receiptHash: Uint8Array;
}

/** What a caller appends; the log assigns seq and time. */
export type ServiceLogEntryInput = Omit<ServiceLogEntry, 'seq' | 'time'>;

function bad(field: string, rule: string): never {
  throw new ServiceLogError('BAD_ENTRY', `service-log entry: ${field} must be ${rule}`);
}

/** Throws BAD_ENTRY naming the first field that breaks its rule; callers from plain JavaScript get the same checks. */
export function validateEntryInput(input: ServiceLogEntryInput): void {
  if (typeof input !== 'object' || input === null) bad('the entry', 'an object');
  if (!isBytes(input.requestId, 1, MAX_REQUEST_ID_LENGTH)) bad('requestId', `1..${MAX_REQUEST_ID_LENGTH} bytes`);
  if (!isBytes(input.client, 1, MAX_CLIENT_LENGTH)) bad('client', `1..${MAX_CLIENT_LENGTH} bytes`);
  if (typeof input.service !== 'string' || !SERVICE_NAME.test(input.service)) {
    bad('service', `1..${MAX_SERVICE_LENGTH} characters of [a-z0-9._-] starting with a letter`);
  }
  if (!isUint(input.bytes)) bad('bytes', 'a non-negative safe integer');
  if (!isUint(input.computeUnits)) bad('computeUnits', 'a non-negative safe integer');
  if (!isUint(input.latencyMs)) bad('latencyMs', 'a non-negative safe integer');
  if (!isBytes(input.resultHash, HASH_LENGTH, HASH_LENGTH)) bad('resultHash', `${HASH_LENGTH} bytes`);
  if (!isBytes(input.receiptHash, HASH_LENGTH, HASH_LENGTH)) bad('receiptHash', `${HASH_LENGTH} bytes`);
}

/**
 * Validates and encodes an entry with seq and time still zero. Encoding at append time also snapshots the
 * caller's byte arrays, so mutating them before a group commit cannot change what is logged.
 */
export function encodeEntryTemplate(input: ServiceLogEntryInput): Uint8Array {
  validateEntryInput(input);
  const { requestId, client, service } = input;
  const out = new Uint8Array(FIXED_LENGTH + 3 + requestId.length + client.length + service.length);
  const view = new DataView(out.buffer);
  out[0] = ENTRY_FORMAT;
  writeU64(view, 17, input.bytes);
  writeU64(view, 25, input.computeUnits);
  writeU64(view, 33, input.latencyMs);
  out.set(input.resultHash, 41);
  out.set(input.receiptHash, 73);
  let at = FIXED_LENGTH;
  out[at++] = requestId.length;
  out.set(requestId, at);
  at += requestId.length;
  out[at++] = client.length;
  out.set(client, at);
  at += client.length;
  out[at++] = service.length;
  for (let i = 0; i < service.length; i += 1) out[at + i] = service.charCodeAt(i);
  return out;
}

/** Writes seq and time into an encoding from encodeEntryTemplate (in place). */
export function stampEntry(encoded: Uint8Array, seq: number, time: number): void {
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  writeU64(view, SEQ_OFFSET, seq);
  writeU64(view, TIME_OFFSET, time);
}

export function encodeEntry(entry: ServiceLogEntry): Uint8Array {
  if (typeof entry !== 'object' || entry === null) bad('the entry', 'an object');
  if (!isUint(entry.seq) || entry.seq < 1) bad('seq', 'a safe integer ≥ 1');
  if (!isUint(entry.time)) bad('time', 'a non-negative safe integer');
  const out = encodeEntryTemplate(entry);
  stampEntry(out, entry.seq, entry.time);
  return out;
}

export function decodeEntry(bytes: Uint8Array): ServiceLogEntry {
  const reader = new ByteReader(bytes, 'BAD_ENTRY', 'service-log entry');
  if (bytes.length > MAX_ENTRY_LENGTH) {
    reader.fail(`${bytes.length} bytes is over the ${MAX_ENTRY_LENGTH}-byte maximum`);
  }
  const format = reader.u8('format');
  if (format !== ENTRY_FORMAT) reader.fail(`unknown format ${format}`);
  const seq = reader.u64('seq');
  if (seq < 1) reader.fail('seq must be ≥ 1');
  const time = reader.u64('time');
  const servedBytes = reader.u64('bytes');
  const computeUnits = reader.u64('computeUnits');
  const latencyMs = reader.u64('latencyMs');
  const resultHash = reader.fixed(HASH_LENGTH, 'resultHash');
  const receiptHash = reader.fixed(HASH_LENGTH, 'receiptHash');
  const requestId = reader.var8('requestId', 1, MAX_REQUEST_ID_LENGTH);
  const client = reader.var8('client', 1, MAX_CLIENT_LENGTH);
  const serviceBytes = reader.var8('service', 1, MAX_SERVICE_LENGTH);
  reader.end();
  const service = String.fromCharCode(...serviceBytes);
  if (!SERVICE_NAME.test(service)) {
    reader.fail('service has a character outside [a-z0-9._-] or does not start with a letter');
  }
  return {
    seq,
    time,
    requestId,
    client,
    service,
    bytes: servedBytes,
    computeUnits,
    resultHash,
    latencyMs,
    receiptHash,
  };
}

/** h_i from h_{i−1} and the encoding of entry i. */
export function entryChainHash(prevChainHash: Uint8Array, encodedEntry: Uint8Array): Uint8Array {
  return hashParts(CHAIN_PREFIX, prevChainHash, encodedEntry);
}
