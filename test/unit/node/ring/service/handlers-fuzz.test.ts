/**
 * A peer's bytes never crash a ring server: arbitrary bodies to every ring method come back as typed remote
 * errors, and the server keeps serving well-formed requests afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetError } from '../../../../../node/net/errors.ts';
import { contentKey } from '../../../../../node/ring/records.ts';
import { METHOD } from '../../../../../node/ring/service/protocol.ts';
import { encodeRingValue } from '../../../../../node/ring/service/value.ts';
import { simRing, type SimRing } from '../../../../support/ring-sim.ts';
import { cborValue } from '../../../../support/wire-arbitraries.ts';
import { encodeCbor } from '../../../../../node/wire/index.ts';

/** Bodies that are well-formed CBOR of the right shape with random contents, and CBOR of any shape. */
const nearValid = fc
  .record({
    epoch: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    value: fc.uint8Array({ maxLength: 200 }),
    limit: fc.nat(300),
  }, { requiredKeys: ['epoch', 'key'] })
  .map((body) => encodeCbor(body as never));
const anyCbor = cborValue.map((value) => encodeCbor(value));

let ring: SimRing;
beforeAll(async () => {
  ring = await simRing({ unities: 3, serversPerUnity: 6, seed: 7 });
});
afterAll(() => ring.stop());

const methods = Object.values(METHOD);
const typed = new Set(['BAD_REQUEST', 'UNAUTHORIZED', 'WRONG_EPOCH', 'UNAVAILABLE']);

describe('ring handlers under arbitrary bodies', () => {
  it('answer every method with a typed remote error and keep serving', async () => {
    const attacker = ring.net.addPeer({ id: 'attacker', addrs: [] });
    const target = ring.peers[0]!.self;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), fc.oneof(fc.uint8Array({ maxLength: 300 }), nearValid, anyCbor), async (method, body) => {
        const outcome = await ring.drive(attacker.request(target, method, body, { timeoutMs: 2_000 })).then(
          () => 'ok',
          (error: unknown) => error,
        );
        if (outcome === 'ok') return; // a few bodies are valid requests (an empty map asks for the slice)
        expect(outcome).toBeInstanceOf(NetError);
        expect((outcome as NetError).remote).toBe(true);
        expect(typed.has((outcome as NetError).code)).toBe(true);
        // A handler that threw something untyped (a bug) reaches the caller as this generic UNAVAILABLE.
        expect((outcome as NetError).message).not.toContain('failed to handle');
      }),
      { numRuns: 400, seed: 11 },
    );
    const data = new TextEncoder().encode('still serving');
    const key = contentKey(data);
    const bytes = encodeRingValue({ kind: 'content', data });
    await ring.drive(ring.servers[1]!.put(key, bytes));
    expect((await ring.drive(ring.servers[0]!.get(key))).result).toEqual(bytes);
  });
});
