import { describe, expect, expectTypeOf, it } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  WireError,
  createRegistry,
  decodeCbor,
  decodeEnvelope,
  defineMessage,
  encodeCbor,
  envelopeDomainPrefix,
  envelopeSigningBytes,
  heartbeat,
  ping,
  pong,
  s,
  wireMessages,
  type CborMap,
  type CborValue,
} from '../../../../node/wire/index.ts';
import {
  ENVELOPE_CODES,
  attempt,
  checkFamily,
  envelopeFuzzInput,
  fuzzRegistry,
  testKeys,
  validEnvelope,
} from '../../../support/wire-arbitraries.ts';

const RUNS = 2000;
const key = testKeys[0]!;
const registry = createRegistry(wireMessages);
const nonce = new Uint8Array(16).fill(7);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function failure(run: () => unknown): WireError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    return error as WireError;
  }
  throw new Error('expected a WireError');
}

/** Signs an arbitrary envelope map the way a sender would, so tests can build canonical-but-wrong envelopes. */
function signRaw(unsigned: CborMap, signer = key, domainType = String(unsigned.type)): Uint8Array {
  const sig = signer.sign(envelopeSigningBytes(envelopeDomainPrefix(domainType), encodeCbor(unsigned)));
  return encodeCbor({ ...unsigned, sig });
}

const pingFields = (): CborMap => ({ type: 'ping', v: 1, from: key.publicKey.bytes, seq: 1, time: 2, body: { nonce } });

describe('envelopes', () => {
  it('round-trips with the sender key, sequence, time and a typed body', () => {
    const bytes = heartbeat.encode(key, {
      seq: 42,
      time: 1_700_000_000_000,
      body: { unity: 3, epoch: 9n, uptime: 60_000, sent: 6, interval: 10_000 },
    });
    const envelope = decodeEnvelope(registry, bytes);
    expect(envelope).toEqual({
      type: 'heartbeat',
      v: 1,
      from: key.publicKey.bytes,
      seq: 42,
      time: 1_700_000_000_000,
      body: { unity: 3, epoch: 9n, uptime: 60_000, sent: 6, interval: 10_000 },
      sig: expect.any(Uint8Array),
    });
    if (envelope.type === 'heartbeat') {
      expectTypeOf(envelope.body.epoch).toEqualTypeOf<bigint>();
    } else {
      expectTypeOf(envelope.body).toEqualTypeOf<{ readonly nonce: Uint8Array }>();
    }
  });

  it('signs the domain tag, the type and the canonical unsigned fields', () => {
    const bytes = ping.encode(key, { seq: 1, time: 2, body: { nonce } });
    const { sig, ...unsigned } = decodeCbor(bytes) as CborMap;
    const signed = Buffer.concat([Buffer.from('AME-ENV-v1\0ping\0'), encodeCbor(unsigned)]);
    expect(key.publicKey.verify(signed, sig as Uint8Array)).toBe(true);
    expect(hex(signRaw(pingFields()))).toBe(hex(bytes));
  });

  it('rejects each kind of bad input with its own code', () => {
    const good = ping.encode(key, { seq: 1, time: 2, body: { nonce } });
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['not CBOR', good.subarray(0, good.length - 1), 'MALFORMED', /truncated|remain/],
      ['trailing byte', Uint8Array.from([...good, 0]), 'MALFORMED', /trailing/],
      ['non-canonical head', Uint8Array.from([0xb8, 0x07, ...good.subarray(1)]), 'NON_CANONICAL', /shortest/],
      ['not a map', encodeCbor([1]), 'SCHEMA', /^envelope: expected map, got array/],
      ['no type', encodeCbor({ v: 1 }), 'SCHEMA', /^type: expected text/],
      ['unknown type', signRaw({ ...pingFields(), type: 'pang' }), 'UNKNOWN_TYPE', /unknown message type "pang"/],
      ['other version', signRaw({ ...pingFields(), v: 2 }), 'UNSUPPORTED_VERSION', /ping v2 .*\(known: 1\)/],
      ['huge version', signRaw({ ...pingFields(), v: 2n ** 60n }), 'UNSUPPORTED_VERSION', /not supported/],
      ['negative version', signRaw({ ...pingFields(), v: -1 }), 'SCHEMA', /^v: expected unsigned integer/],
      ['short key', signRaw({ ...pingFields(), from: new Uint8Array(31) }), 'SCHEMA', /^from: expected exactly 32/],
      ['negative seq', signRaw({ ...pingFields(), seq: -1 }), 'SCHEMA', /^seq: expected unsigned integer/],
      ['extra field', signRaw({ ...pingFields(), extra: 1 }), 'SCHEMA', /^extra: unknown field/],
      ['bad body', signRaw({ ...pingFields(), body: { nonce: new Uint8Array(3) } }), 'SCHEMA', /^body\.nonce: /],
      ['wrong signer', signRaw(pingFields(), testKeys[1]), 'BAD_SIGNATURE', /does not verify/],
      ["another type's domain", signRaw(pingFields(), key, 'pong'), 'BAD_SIGNATURE', /does not verify/],
    ];
    for (const [name, bytes, code, message] of cases) {
      const error = failure(() => decodeEnvelope(registry, bytes));
      expect({ name, code: error.code }).toEqual({ name, code });
      expect(error.message).toMatch(message);
    }
    const limited = failure(() => decodeEnvelope(registry, good, { maxSize: 100 }));
    expect(limited.code).toBe('TOO_LARGE');
    expect(limited.message).toBe(`envelope of ${good.length} bytes exceeds the limit of 100`);
  });

  it('refuses a missing signature and a tampered field', () => {
    const { sig: _sig, ...unsigned } = decodeCbor(ping.encode(key, { seq: 1, time: 2, body: { nonce } })) as CborMap;
    const unsignedError = failure(() => decodeEnvelope(registry, encodeCbor(unsigned)));
    expect(unsignedError.message).toBe('sig: missing (expected 64 bytes)');
    const tampered = { ...(decodeCbor(ping.encode(key, { seq: 1, time: 2, body: { nonce } })) as CborMap), seq: 2 };
    expect(failure(() => decodeEnvelope(registry, encodeCbor(tampered))).code).toBe('BAD_SIGNATURE');
  });

  it('refuses a sender key that is not a curve point', () => {
    const notAPoint = Array.from({ length: 64 }, (_, y) => {
      const candidate = new Uint8Array(32);
      candidate[0] = y;
      return candidate;
    }).find((candidate) => {
      try {
        ed25519.Point.fromBytes(candidate);
        return false;
      } catch {
        return true;
      }
    });
    expect(notAPoint).toBeDefined();
    const bytes = signRaw({ ...pingFields(), from: notAPoint! });
    expect(failure(() => decodeEnvelope(registry, bytes)).code).toBe('BAD_SIGNATURE');
  });

  it('checks sizes: the caller limit, the registry limit before parsing, then the type limit', () => {
    expect(registry.maxSize).toBe(512);
    const garbage = new Uint8Array(513).fill(0xff);
    expect(failure(() => decodeEnvelope(registry, garbage)).code).toBe('TOO_LARGE');
    // A caller cannot raise the limit above the registry's.
    expect(failure(() => decodeEnvelope(registry, garbage, { maxSize: 10_000 })).code).toBe('TOO_LARGE');
    expect(failure(() => decodeEnvelope(registry, garbage, { maxSize: Number.NaN })).code).toBe('TOO_LARGE');
    // 300 bytes passes the registry limit (heartbeat: 512) but not ping's own 256.
    const oversizePing = signRaw({ ...pingFields(), body: { nonce: new Uint8Array(170) } });
    expect(oversizePing.length).toBeGreaterThan(256);
    const error = failure(() => decodeEnvelope(registry, oversizePing));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toMatch(/ping envelope of \d+ bytes exceeds its limit of 256/);
  });

  it('refuses to encode a bad body, a bad header or an oversize envelope', () => {
    const shortNonce = { nonce: new Uint8Array(3) };
    expect(failure(() => ping.encode(key, { seq: 1, time: 2, body: shortNonce })).code).toBe('SCHEMA');
    expect(failure(() => ping.encode(key, { seq: -1, time: 2, body: { nonce } })).message).toMatch(/^seq: /);
    expect(failure(() => ping.encode(key, { seq: 1, time: 1.5, body: { nonce } })).message).toMatch(/^time: /);
    const small = defineMessage('small', 1, s.struct({ data: s.bytes() }), { maxSize: 150 });
    expect(failure(() => small.encode(key, { seq: 1, time: 2, body: { data: new Uint8Array(100) } })).code).toBe(
      'TOO_LARGE',
    );
  });

  it('decodes several versions of one type side by side', () => {
    const pingV2 = defineMessage('ping', 2, s.struct({ nonce: s.bytes({ len: 16 }), hops: s.uint() }));
    const both = createRegistry([ping, pingV2]);
    const v2 = decodeEnvelope(both, pingV2.encode(key, { seq: 1, time: 2, body: { nonce, hops: 3 } }));
    expect(v2.v).toBe(2);
    if (v2.v === 2) expect(v2.body.hops).toBe(3);
    expect(decodeEnvelope(both, ping.encode(key, { seq: 1, time: 2, body: { nonce } })).v).toBe(1);
    const newer = pingV2.encode(key, { seq: 1, time: 2, body: { nonce, hops: 3 } });
    expect(failure(() => decodeEnvelope(registry, newer)).code).toBe('UNSUPPORTED_VERSION');
  });

  it('refuses bad definitions', () => {
    for (const name of ['', 'Ping', '1ping', 'a..b', 'a b', 'x'.repeat(65), 'ping\0']) {
      expect(failure(() => defineMessage(name, 1, s.struct({}))).code).toBe('BAD_DEFINITION');
    }
    expect(failure(() => defineMessage('ok', 0, s.struct({}))).code).toBe('BAD_DEFINITION');
    const tooBig = { maxSize: 5 * 1024 * 1024 };
    expect(failure(() => defineMessage('ok', 1, s.struct({}), tooBig)).code).toBe('BAD_DEFINITION');
    expect(defineMessage('ledger.tx-v_2', 1, s.struct({})).type).toBe('ledger.tx-v_2');
  });
});

describe('envelope properties', () => {
  it('decodes every valid envelope to fields that re-encode to the same bytes', () => {
    fc.assert(
      fc.property(validEnvelope, (bytes) => {
        const envelope = decodeEnvelope(fuzzRegistry, bytes);
        expect(hex(encodeCbor(envelope as unknown as CborValue))).toBe(hex(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('never accepts a changed byte of a valid envelope', () => {
    fc.assert(
      fc.property(validEnvelope, fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, xor) => {
        const changed = Uint8Array.from(bytes);
        changed[at % bytes.length]! ^= xor;
        expect(attempt(ENVELOPE_CODES, () => decodeEnvelope(fuzzRegistry, changed)).ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any input with an envelope that re-encodes to it, or a WireError', () => {
    fc.assert(
      fc.property(envelopeFuzzInput, ({ family, input, original }) => {
        const outcome = attempt(ENVELOPE_CODES, () => decodeEnvelope(fuzzRegistry, input));
        checkFamily(family, outcome);
        if (!outcome.ok) return;
        expect(hex(encodeCbor(outcome.value as unknown as CborValue))).toBe(hex(input));
        if (original !== undefined) expect(hex(input)).toBe(hex(original));
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps pong distinct from ping', () => {
    const bytes = pong.encode(key, { seq: 1, time: 2, body: { nonce } });
    expect(decodeEnvelope(registry, bytes).type).toBe('pong');
  });
});
