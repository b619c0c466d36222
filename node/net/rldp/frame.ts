/**
 * RLDP frames (docs/net.md has the byte layout). Every frame is a 4-byte big-endian length followed by a kind byte
 * and the kind's fields; encoders return the whole frame, prefix included, as one buffer so that it goes out in
 * one stream.send() (two sends per frame cost ~40 % throughput, TOOLCHAIN.md).
 */
import { REMOTE_ERROR_CODES, type RemoteErrorCode } from '../errors.ts';

export const RLDP_PROTOCOL = '/ame/rldp/1';

export const KIND_REQUEST = 1;
export const KIND_RESPONSE = 2;
export const KIND_ERROR = 3;
export const KIND_CHUNK = 4;
export const KIND_CANCEL = 5;
export const KIND_DATAGRAM = 6;

export const PREFIX_LENGTH = 4;
/** Method names and datagram topics: 1…255 bytes of UTF-8. */
export const MAX_NAME_BYTES = 255;
/** ARNL datagram payloads (SPEC.md §4). */
export const MAX_DATAGRAM_BYTES = 1024;
/** Error messages are cut to this many UTF-16 units before encoding, so their UTF-8 fits a u16 length. */
export const MAX_ERROR_MESSAGE_CHARS = 500;
/**
 * Bytes a frame may carry beyond its payload slice: the largest header is REQUEST's (kind, id, timeout, total,
 * name length, name) and ERROR's (kind, id, code, flags, message length, message) — both well under this.
 */
export const MAX_FRAME_OVERHEAD = 2048;

export type ChunkDirection = 'request' | 'response';

export type Frame =
  | { kind: 'request'; id: number; timeoutMs: number; total: number; method: string; payload: Uint8Array }
  | { kind: 'response'; id: number; total: number; payload: Uint8Array }
  | { kind: 'error'; id: number; code: RemoteErrorCode; message: string; data: Uint8Array | undefined }
  | { kind: 'chunk'; dir: ChunkDirection; id: number; payload: Uint8Array }
  | { kind: 'cancel'; id: number }
  | { kind: 'datagram'; topic: string; payload: Uint8Array };

/** Wire numbers of the remote error codes: their position in REMOTE_ERROR_CODES, plus one. */
export function errorCodeNumber(code: RemoteErrorCode): number {
  return REMOTE_ERROR_CODES.indexOf(code) + 1;
}

export function errorCodeFromNumber(n: number): RemoteErrorCode | undefined {
  return REMOTE_ERROR_CODES[n - 1];
}

const utf8 = new TextEncoder();

/** UTF-8 of a method or topic name, or undefined when it is empty or longer than MAX_NAME_BYTES. */
export function nameBytes(name: string): Uint8Array | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_BYTES || !name.isWellFormed()) {
    return undefined;
  }
  const bytes = utf8.encode(name);
  return bytes.length <= MAX_NAME_BYTES ? bytes : undefined;
}

function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** A frame buffer of `bodyLength` bytes after the prefix, with the prefix and kind written. */
function frame(kind: number, bodyLength: number): Uint8Array {
  const out = new Uint8Array(PREFIX_LENGTH + bodyLength);
  putU32(out, 0, bodyLength);
  out[PREFIX_LENGTH] = kind;
  return out;
}

/** REQUEST: the head of a request of `total` bytes whose first `slice` bytes it carries. */
export function encodeRequest(
  id: number,
  timeoutMs: number,
  total: number,
  method: Uint8Array,
  slice: Uint8Array,
): Uint8Array {
  const head = 1 + 4 + 4 + 4 + 1 + method.length;
  const out = frame(KIND_REQUEST, head + slice.length);
  putU32(out, 5, id);
  putU32(out, 9, timeoutMs);
  putU32(out, 13, total);
  out[17] = method.length;
  out.set(method, 18);
  out.set(slice, PREFIX_LENGTH + head);
  return out;
}

/** RESPONSE: the head of a reply of `total` bytes whose first `slice` bytes it carries. */
export function encodeResponse(id: number, total: number, slice: Uint8Array): Uint8Array {
  const out = frame(KIND_RESPONSE, 9 + slice.length);
  putU32(out, 5, id);
  putU32(out, 9, total);
  out.set(slice, 13);
  return out;
}

/** ERROR: a typed failure of request `id`; `data` is optional detail (absent and empty are told apart). */
export function encodeError(id: number, code: RemoteErrorCode, message: string, data?: Uint8Array): Uint8Array {
  const text = utf8.encode(message.slice(0, MAX_ERROR_MESSAGE_CHARS).toWellFormed());
  const extra = data?.length ?? 0;
  const out = frame(KIND_ERROR, 1 + 4 + 1 + 1 + 2 + text.length + extra);
  putU32(out, 5, id);
  out[9] = errorCodeNumber(code);
  out[10] = data === undefined ? 0 : 1;
  out[11] = text.length >>> 8;
  out[12] = text.length & 0xff;
  out.set(text, 13);
  if (data !== undefined) out.set(data, 13 + text.length);
  return out;
}

/** CHUNK: the next slice of the request or reply `id` (which one: `dir`, since both sides number their own). */
export function encodeChunk(dir: ChunkDirection, id: number, slice: Uint8Array): Uint8Array {
  const out = frame(KIND_CHUNK, 1 + 1 + 4 + slice.length);
  out[5] = dir === 'request' ? 0 : 1;
  putU32(out, 6, id);
  out.set(slice, 10);
  return out;
}

/** CANCEL: the caller gave up on its request `id`. */
export function encodeCancel(id: number): Uint8Array {
  const out = frame(KIND_CANCEL, 5);
  putU32(out, 5, id);
  return out;
}

/** DATAGRAM: an unanswered message on `topic`. */
export function encodeDatagram(topic: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = frame(KIND_DATAGRAM, 1 + 1 + topic.length + payload.length);
  out[5] = topic.length;
  out.set(topic, 6);
  out.set(payload, 6 + topic.length);
  return out;
}

/** Any frame value back to bytes: for tests and tools; the hot paths call the encoders above directly. */
export function encodeFrame(f: Frame): Uint8Array {
  const name = (text: string): Uint8Array => {
    const bytes = nameBytes(text);
    if (bytes === undefined) throw new RangeError(`not a valid RLDP name: ${JSON.stringify(text)}`);
    return bytes;
  };
  switch (f.kind) {
    case 'request':
      return encodeRequest(f.id, f.timeoutMs, f.total, name(f.method), f.payload);
    case 'response':
      return encodeResponse(f.id, f.total, f.payload);
    case 'error':
      return encodeError(f.id, f.code, f.message, f.data);
    case 'chunk':
      return encodeChunk(f.dir, f.id, f.payload);
    case 'cancel':
      return encodeCancel(f.id);
    case 'datagram':
      return encodeDatagram(name(f.topic), f.payload);
  }
}
