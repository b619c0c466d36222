/**
 * Decoding RLDP frames from untrusted bytes. Everything wrong — an unknown kind, a length that does not add up,
 * a name that is not UTF-8, a payload over the limits — is NetError MALFORMED_FRAME and nothing else, so the
 * session can drop that one peer and carry on.
 */
import { NetError } from '../errors.ts';
import {
  errorCodeFromNumber,
  type Frame,
  KIND_CANCEL,
  KIND_CHUNK,
  KIND_DATAGRAM,
  KIND_ERROR,
  KIND_REQUEST,
  KIND_RESPONSE,
  MAX_DATAGRAM_BYTES,
  MAX_FRAME_OVERHEAD,
  PREFIX_LENGTH,
} from './frame.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A copy of a payload view, as a plain Uint8Array. Received bytes are often Node Buffers, whose slice() returns a
 * view, not a copy; a view handed to a handler would pin the whole receive buffer (and see it reused).
 */
export function detach(view: Uint8Array): Uint8Array {
  return new Uint8Array(view);
}

function malformed(message: string): NetError {
  return new NetError('MALFORMED_FRAME', message);
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function text(b: Uint8Array, start: number, length: number, what: string): string {
  if (length === 0) throw malformed(`empty ${what}`);
  try {
    return utf8.decode(b.subarray(start, start + length));
  } catch {
    throw malformed(`${what} is not valid UTF-8`);
  }
}

function need(b: Uint8Array, length: number, what: string): void {
  if (b.length < length) throw malformed(`${what} frame of ${b.length} bytes is shorter than its header`);
}

function slice(b: Uint8Array, start: number, total: number, frameLimit: number, what: string): Uint8Array {
  const payload = b.subarray(start);
  if (payload.length > frameLimit) throw malformed(`${what} carries ${payload.length} bytes, over the frame limit`);
  if (payload.length > total) throw malformed(`${what} carries ${payload.length} bytes of a ${total}-byte message`);
  return payload;
}

/**
 * One frame from the bytes after its length prefix. Payloads are views into `b`, not copies.
 * `frameLimit` is the largest payload slice this host accepts in one frame.
 */
export function decodeFrame(b: Uint8Array, frameLimit: number): Frame {
  if (b.length === 0) throw malformed('empty frame');
  switch (b[0]) {
    case KIND_REQUEST: {
      need(b, 14, 'REQUEST');
      const nameLength = b[13]!;
      need(b, 14 + nameLength, 'REQUEST');
      const total = u32(b, 9);
      return {
        kind: 'request',
        id: u32(b, 1),
        timeoutMs: u32(b, 5),
        total,
        method: text(b, 14, nameLength, 'method'),
        payload: slice(b, 14 + nameLength, total, frameLimit, 'REQUEST'),
      };
    }
    case KIND_RESPONSE: {
      need(b, 9, 'RESPONSE');
      const total = u32(b, 5);
      return { kind: 'response', id: u32(b, 1), total, payload: slice(b, 9, total, frameLimit, 'RESPONSE') };
    }
    case KIND_ERROR: {
      need(b, 9, 'ERROR');
      const code = errorCodeFromNumber(b[5]!);
      if (code === undefined) throw malformed(`unknown error code ${b[5]}`);
      const flags = b[6]!;
      if (flags > 1) throw malformed(`unknown ERROR flags ${flags}`);
      const messageLength = (b[7]! << 8) | b[8]!;
      need(b, 9 + messageLength, 'ERROR');
      const message = messageLength === 0 ? '' : text(b, 9, messageLength, 'error message');
      const rest = b.subarray(9 + messageLength);
      if (flags === 0 && rest.length > 0) throw malformed('ERROR without data carries trailing bytes');
      if (rest.length > frameLimit) throw malformed('ERROR data over the frame limit');
      return { kind: 'error', id: u32(b, 1), code, message, data: flags === 1 ? rest : undefined };
    }
    case KIND_CHUNK: {
      need(b, 6, 'CHUNK');
      if (b[1]! > 1) throw malformed(`unknown CHUNK direction ${b[1]}`);
      const payload = b.subarray(6);
      if (payload.length === 0) throw malformed('empty CHUNK');
      if (payload.length > frameLimit) throw malformed(`CHUNK carries ${payload.length} bytes, over the frame limit`);
      return { kind: 'chunk', dir: b[1] === 0 ? 'request' : 'response', id: u32(b, 2), payload };
    }
    case KIND_CANCEL:
      if (b.length !== 5) throw malformed(`CANCEL frame of ${b.length} bytes, expected 5`);
      return { kind: 'cancel', id: u32(b, 1) };
    case KIND_DATAGRAM: {
      need(b, 2, 'DATAGRAM');
      const topicLength = b[1]!;
      need(b, 2 + topicLength, 'DATAGRAM');
      const payload = b.subarray(2 + topicLength);
      if (payload.length > MAX_DATAGRAM_BYTES) throw malformed(`DATAGRAM of ${payload.length} bytes`);
      return { kind: 'datagram', topic: text(b, 2, topicLength, 'topic'), payload };
    }
    default:
      throw malformed(`unknown frame kind ${b[0]}`);
  }
}

/**
 * Cuts a byte stream into frames. Pieces are kept as they arrive and joined once per frame, so a 4 MiB frame that
 * comes in 64 KiB pieces costs one copy, not a quadratic series of them. A length prefix over the limit is refused
 * before any of its bytes are buffered.
 */
export class FrameDecoder {
  readonly #frameLimit: number;
  readonly #maxLength: number;
  #pieces: Uint8Array[] = [];
  #buffered = 0;

  constructor(frameLimit: number) {
    this.#frameLimit = frameLimit;
    this.#maxLength = frameLimit + MAX_FRAME_OVERHEAD;
  }

  /** Bytes received and not yet part of a whole frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds received bytes and calls `onFrame` for every whole frame; throws MALFORMED_FRAME (then stop feeding). */
  push(bytes: Uint8Array, onFrame: (frame: Frame) => void): void {
    if (bytes.length === 0) return;
    this.#pieces.push(bytes);
    this.#buffered += bytes.length;
    while (this.#buffered >= PREFIX_LENGTH) {
      const length = this.#peekLength();
      if (length === 0) throw malformed('frame of length 0');
      if (length > this.#maxLength) throw malformed(`frame of ${length} bytes exceeds the limit of ${this.#maxLength}`);
      if (this.#buffered < PREFIX_LENGTH + length) return;
      onFrame(decodeFrame(this.#take(PREFIX_LENGTH + length).subarray(PREFIX_LENGTH), this.#frameLimit));
    }
  }

  #peekLength(): number {
    const first = this.#pieces[0]!;
    if (first.length >= PREFIX_LENGTH) return u32(first, 0);
    const head = new Uint8Array(PREFIX_LENGTH);
    let filled = 0;
    for (const piece of this.#pieces) {
      const n = Math.min(piece.length, PREFIX_LENGTH - filled);
      head.set(piece.subarray(0, n), filled);
      filled += n;
      if (filled === PREFIX_LENGTH) break;
    }
    return u32(head, 0);
  }

  /** Removes the first `n` buffered bytes: a view when one piece holds them all, else one copy. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#pieces[0]!;
    if (first.length >= n) {
      if (first.length === n) this.#pieces.shift();
      else this.#pieces[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.#pieces[0]!;
      const take = Math.min(piece.length, n - filled);
      out.set(piece.subarray(0, take), filled);
      filled += take;
      if (take === piece.length) this.#pieces.shift();
      else this.#pieces[0] = piece.subarray(take);
    }
    return out;
  }
}
