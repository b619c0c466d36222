import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetError } from '../../../../../node/net/errors.ts';
import { ChunkedMessage, Reassembly } from '../../../../../node/net/rldp/chunker.ts';
import { FrameDecoder } from '../../../../../node/net/rldp/frame-decoder.ts';
import { encodeResponse, type Frame } from '../../../../../node/net/rldp/frame.ts';
import { frameCount } from '../../../../../node/net/rldp/limits.ts';

function framesOf(message: ChunkedMessage, frameLimit: number): Frame[] {
  const decoder = new FrameDecoder(frameLimit);
  const out: Frame[] = [];
  while (message.remaining > 0) decoder.push(message.next(), (f) => out.push(f));
  return out;
}

describe('chunking', () => {
  it('splits a message into a head and CHUNK frames that reassemble to it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), (payload, limit) => {
        const head = (first: Uint8Array) => encodeResponse(7, payload.length, first);
        const message = new ChunkedMessage('response', 7, payload, limit, head);
        const frames = framesOf(message, limit);
        expect(frames).toHaveLength(frameCount(payload.length, limit));
        const [first, ...rest] = frames;
        expect(first).toMatchObject({ kind: 'response', id: 7, total: payload.length });
        const r = new Reassembly(payload.length, (first as Extract<Frame, { kind: 'response' }>).payload);
        let whole: Uint8Array | undefined = rest.length === 0 ? r.add(new Uint8Array(0)) : undefined;
        for (const f of rest) {
          expect(f).toMatchObject({ kind: 'chunk', dir: 'response', id: 7 });
          whole = r.add((f as Extract<Frame, { kind: 'chunk' }>).payload);
        }
        expect(whole).toEqual(payload);
      }),
      { numRuns: 500 },
    );
  });

  it('stops when abandoned and reports whether the head went out', () => {
    const m = new ChunkedMessage('request', 1, new Uint8Array(100), 10, (first) => encodeResponse(1, 100, first));
    expect(m.started).toBe(false);
    m.next();
    expect(m.started).toBe(true);
    expect(m.remaining).toBe(90);
    m.abandon();
    expect(m.remaining).toBe(0);
  });

  it('refuses chunks past the announced total', () => {
    const r = new Reassembly(5, new Uint8Array(3));
    expect(r.add(new Uint8Array(1))).toBeUndefined();
    expect(() => r.add(new Uint8Array(2))).toThrow(NetError);
  });
});
