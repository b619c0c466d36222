import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetError, REMOTE_ERROR_CODES } from '../../../../../node/net/errors.ts';
import { decodeFrame, FrameDecoder } from '../../../../../node/net/rldp/frame-decoder.ts';
import {
  encodeCancel,
  encodeError,
  encodeFrame,
  type Frame,
  MAX_DATAGRAM_BYTES,
  MAX_FRAME_OVERHEAD,
  nameBytes,
  PREFIX_LENGTH,
} from '../../../../../node/net/rldp/frame.ts';

const FRAME_LIMIT = 4096;
const RUNS = 1500;

const id = fc.integer({ min: 0, max: 0xffff_ffff });
const name = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .filter((s) => nameBytes(s) !== undefined);
const payload = (max: number) => fc.uint8Array({ maxLength: max });

/** A head frame: the slice it carries and a total at least that large. */
const head = fc
  .tuple(payload(300), fc.integer({ min: 0, max: 0x7fff_ffff }))
  .map(([p, extra]) => ({ payload: p, total: p.length + (extra % 3 === 0 ? 0 : extra) }));

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({ id, timeoutMs: id, method: name, head })
    .map(({ head: h, ...f }) => ({ kind: 'request' as const, ...f, total: h.total, payload: h.payload })),
  fc.record({ id, head }).map(({ id: i, head: h }) => ({ kind: 'response' as const, id: i, ...h })),
  fc.record({
    kind: fc.constant('error' as const),
    id,
    code: fc.constantFrom(...REMOTE_ERROR_CODES),
    message: fc.string({ maxLength: 200 }).map((s) => s.toWellFormed()),
    data: fc.option(payload(100), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('chunk' as const),
    dir: fc.constantFrom('request' as const, 'response' as const),
    id,
    payload: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), id }),
  fc.record({ kind: fc.constant('datagram' as const), topic: name, payload: payload(MAX_DATAGRAM_BYTES) }),
);

/** Feeds `bytes` to a fresh decoder in pieces cut at `cuts`; returns the frames or the thrown error. */
function feed(bytes: Uint8Array, cuts: number[] = []): { frames: Frame[]; error?: unknown } {
  const decoder = new FrameDecoder(FRAME_LIMIT);
  const frames: Frame[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  try {
    for (const at of [...points, bytes.length]) {
      decoder.push(bytes.subarray(from, at), (f) => frames.push(f));
      from = at;
    }
  } catch (error) {
    return { frames, error };
  }
  return { frames };
}

function onlyMalformed(error: unknown): void {
  if (error === undefined) return;
  expect(error).toBeInstanceOf(NetError);
  expect((error as NetError).code).toBe('MALFORMED_FRAME');
}

/** Frames compared as plain data (payload views become arrays). */
const plain = (f: Frame) => JSON.parse(JSON.stringify(f, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)));

describe('RLDP frame codec', () => {
  it('round-trips every frame kind, whatever pieces the bytes arrive in', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (frames, cuts) => {
        const parts = frames.map(encodeFrame);
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        const out = feed(all, cuts);
        expect(out.error).toBeUndefined();
        expect(out.frames.map(plain)).toEqual(frames.map(plain));
      }),
      { numRuns: RUNS },
    );
  });

  it('decodes a frame delivered one byte at a time', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const f: Frame = { kind: 'request', id: 9, timeoutMs: 5000, total: 3, method: 'ring.get', payload };
    const bytes = encodeFrame(f);
    const out = feed(bytes, Array.from({ length: bytes.length }, (_, i) => i));
    expect(out.frames.map(plain)).toEqual([plain(f)]);
  });

  it('throws nothing but MALFORMED_FRAME for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
        onlyMalformed(feed(bytes, cuts).error);
        try {
          decodeFrame(bytes, FRAME_LIMIT);
        } catch (error) {
          onlyMalformed(error);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('throws nothing but MALFORMED_FRAME for truncated frames, and a stream cut short yields nothing', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), (frame, n) => {
        const bytes = encodeFrame(frame);
        const cut = n % bytes.length;
        expect(feed(bytes.subarray(0, cut)).frames).toEqual([]);
        try {
          decodeFrame(bytes.subarray(PREFIX_LENGTH, Math.max(PREFIX_LENGTH, cut)), FRAME_LIMIT);
        } catch (error) {
          onlyMalformed(error);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('throws nothing but MALFORMED_FRAME for frames with bits flipped', () => {
    fc.assert(
      fc.property(frameArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (frame, flips) => {
        const bytes = encodeFrame(frame);
        for (const f of flips) bytes[(f >> 3) % bytes.length]! ^= 1 << (f & 7);
        onlyMalformed(feed(bytes).error);
      }),
      { numRuns: RUNS },
    );
  });

  const malformed: [string, number[]][] = [
    ['a zero length', [0, 0, 0, 0]],
    ['an unknown kind', [0, 0, 0, 1, 9]],
    ['a CANCEL of the wrong length', [0, 0, 0, 4, 5, 0, 0, 1]],
    ['an unknown error code', [0, 0, 0, 9, 3, 0, 0, 0, 1, 7, 0, 0, 0]],
    ['ERROR flags other than 0 and 1', [0, 0, 0, 9, 3, 0, 0, 0, 1, 1, 2, 0, 0]],
    ['ERROR trailing bytes without data', [0, 0, 0, 10, 3, 0, 0, 0, 1, 1, 0, 0, 0, 9]],
    ['a CHUNK direction of 2', [0, 0, 0, 7, 4, 2, 0, 0, 0, 1, 5]],
    ['an empty CHUNK', [0, 0, 0, 6, 4, 0, 0, 0, 0, 1]],
    ['a method that is not UTF-8', [0, 0, 0, 15, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xff]],
    ['an empty method', [0, 0, 0, 14, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]],
    ['a REQUEST slice above its total', [0, 0, 0, 17, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0x61, 1, 2]],
    ['a RESPONSE header cut short', [0, 0, 0, 5, 2, 0, 0, 0, 1]],
  ];
  it.each(malformed)('refuses %s', (_what, bytes) => {
    const out = feed(new Uint8Array(bytes));
    expect(out.frames).toEqual([]);
    expect((out.error as NetError).code).toBe('MALFORMED_FRAME');
  });

  it('refuses a length over the limit before its body arrives', () => {
    const decoder = new FrameDecoder(FRAME_LIMIT);
    const over = FRAME_LIMIT + MAX_FRAME_OVERHEAD + 1;
    const prefix = new Uint8Array([over >>> 24, (over >>> 16) & 0xff, (over >>> 8) & 0xff, over & 0xff]);
    expect(() => decoder.push(prefix, () => {})).toThrow(NetError);
  });

  it('refuses a payload slice over the frame limit and a datagram over 1 KiB', () => {
    const big: Frame = { kind: 'response', id: 1, total: FRAME_LIMIT + 1, payload: new Uint8Array(FRAME_LIMIT + 1) };
    expect((feed(encodeFrame(big)).error as NetError).code).toBe('MALFORMED_FRAME');
    const dg: Frame = { kind: 'datagram', topic: 't', payload: new Uint8Array(MAX_DATAGRAM_BYTES + 1) };
    expect((feed(encodeFrame(dg)).error as NetError).code).toBe('MALFORMED_FRAME');
  });

  it('keeps absent and empty error data apart and cuts long messages', () => {
    const [a, b] = [encodeError(1, 'WRONG_EPOCH', 'x'), encodeError(1, 'WRONG_EPOCH', 'x', new Uint8Array(0))];
    expect((feed(a).frames[0] as Extract<Frame, { kind: 'error' }>).data).toBeUndefined();
    expect((feed(b).frames[0] as Extract<Frame, { kind: 'error' }>).data).toEqual(new Uint8Array(0));
    const long = feed(encodeError(2, 'BAD_REQUEST', '€'.repeat(5000))).frames[0] as Extract<Frame, { kind: 'error' }>;
    expect(long.message).toBe('€'.repeat(500));
    expect(feed(encodeCancel(0xffff_ffff)).frames).toEqual([{ kind: 'cancel', id: 0xffff_ffff }]);
  });
});
