import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmeError } from '../../../../node/crypto/errors.ts';
import { fromHex, toHex } from '../../../../node/crypto/index.ts';
import {
  decodeEntry,
  encodeEntry,
  encodeEntryTemplate,
  entryChainHash,
  GENESIS_CHAIN_HASH,
  MAX_ENTRY_LENGTH,
  type ServiceLogEntry,
  stampEntry,
} from '../../../../node/store/service-log-entry.ts';
import { SERVICE_LOG_ERROR_CODES, ServiceLogError } from '../../../../node/store/service-log-errors.ts';
import { arbEntryInput, sampleEntry } from './service-log-fixtures.ts';

const u64 = (n: number): string => n.toString(16).padStart(16, '0');

const golden: ServiceLogEntry = {
  seq: 1,
  time: 0x01_0203_0405,
  requestId: fromHex('aabb'),
  client: fromHex('cc'),
  service: 'store',
  bytes: 1000,
  computeUnits: 7,
  resultHash: new Uint8Array(32).fill(0x11),
  latencyMs: 12,
  receiptHash: new Uint8Array(32).fill(0x22),
};
const goldenHex =
  '01' +
  u64(1) +
  u64(0x01_0203_0405) +
  u64(1000) +
  u64(7) +
  u64(12) +
  '11'.repeat(32) +
  '22'.repeat(32) +
  '02aabb' +
  '01cc' +
  '05' +
  Buffer.from('store').toString('hex');

const arbEntry: fc.Arbitrary<ServiceLogEntry> = fc
  .tuple(arbEntryInput, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.maxSafeNat())
  .map(([input, seq, time]) => ({ ...input, seq, time }));

function expectOnlyLogErrors(bytes: Uint8Array): void {
  try {
    const entry = decodeEntry(bytes);
    // Whatever decodes must be the one encoding of what it decodes to.
    expect(toHex(encodeEntry(entry))).toBe(toHex(bytes));
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceLogError);
    expect((error as ServiceLogError).code).toBe('BAD_ENTRY');
  }
}

describe('ServiceLogError', () => {
  it('is an AmeError with a stable code and its own name', () => {
    const error = new ServiceLogError('PRUNED', 'gone');
    expect(error).toBeInstanceOf(AmeError);
    expect(error.name).toBe('ServiceLogError');
    expect(error.code).toBe('PRUNED');
    expect(new Set(SERVICE_LOG_ERROR_CODES).size).toBe(SERVICE_LOG_ERROR_CODES.length);
    expect(SERVICE_LOG_ERROR_CODES).toEqual(
      expect.arrayContaining(['BAD_ENTRY', 'BAD_PROOF', 'NOT_FOUND', 'PRUNED', 'CORRUPT', 'CLOSED']),
    );
  });
});

describe('service-log entry encoding', () => {
  it('has the documented fixed layout', () => {
    expect(toHex(encodeEntry(golden))).toBe(goldenHex);
    expect(decodeEntry(fromHex(goldenHex))).toEqual(golden);
  });

  it('chains h_i = SHA-256("AME-LOG-v1" ‖ 0x00 ‖ h_{i−1} ‖ encoding), h_0 = zeros', () => {
    const encoded = encodeEntry(golden);
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('AME-LOG-v1\0', 'latin1'), Buffer.alloc(32), encoded]))
      .digest('hex');
    expect(toHex(GENESIS_CHAIN_HASH)).toBe('00'.repeat(32));
    expect(toHex(entryChainHash(GENESIS_CHAIN_HASH, encoded))).toBe(expected);
  });

  it('stamps seq and time into a template without touching other bytes', () => {
    const template = encodeEntryTemplate(golden);
    stampEntry(template, golden.seq, golden.time);
    expect(toHex(template)).toBe(goldenHex);
  });

  it('snapshots the caller’s arrays', () => {
    const input = sampleEntry(3);
    const template = encodeEntryTemplate(input);
    input.requestId.fill(0);
    stampEntry(template, 1, 2);
    expect(decodeEntry(template).requestId).toEqual(sampleEntry(3).requestId);
  });

  it('round-trips any valid entry, byte for byte, up to the maximum length', () => {
    fc.assert(
      fc.property(arbEntry, (entry) => {
        const bytes = encodeEntry(entry);
        expect(bytes.length).toBeLessThanOrEqual(MAX_ENTRY_LENGTH);
        expect(decodeEntry(bytes)).toEqual(entry);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a copy, never a view of the input', () => {
    const bytes = encodeEntry(golden);
    const entry = decodeEntry(bytes);
    bytes.fill(0x55);
    expect(entry).toEqual(golden);
  });

  it.each([
    ['requestId', { requestId: new Uint8Array(0) }],
    ['requestId', { requestId: new Uint8Array(33) }],
    ['client', { client: new Uint8Array(65) }],
    ['client', { client: 'ame1abc' }],
    ['service', { service: 'Store' }],
    ['service', { service: '' }],
    ['service', { service: 'x'.repeat(33) }],
    ['service', { service: 'störe' }],
    ['bytes', { bytes: -1 }],
    ['bytes', { bytes: 1.5 }],
    ['computeUnits', { computeUnits: 2 ** 53 }],
    ['latencyMs', { latencyMs: Number.NaN }],
    ['resultHash', { resultHash: new Uint8Array(31) }],
    ['receiptHash', { receiptHash: undefined }],
    ['seq', { seq: 0 }],
    ['time', { time: -5 }],
  ])('refuses a bad %s with BAD_ENTRY naming it', (field, change) => {
    const entry = { ...golden, ...change } as unknown as ServiceLogEntry;
    expect(() => encodeEntry(entry)).toThrow(
      expect.objectContaining({ code: 'BAD_ENTRY', message: expect.stringContaining(field) }),
    );
  });

  it.each([
    ['an unknown format', (b: Uint8Array) => (b[0] = 2)],
    ['seq 0', (b: Uint8Array) => b.fill(0, 1, 9)],
    ['a value over 2^53 − 1', (b: Uint8Array) => (b[17] = 0x00 | 0x20)],
    ['a zero-length requestId', (b: Uint8Array) => (b[105] = 0)],
    ['an uppercase service', (b: Uint8Array) => (b[b.length - 5] = 0x53)],
  ])('refuses %s', (_what, mutate) => {
    const bytes = encodeEntry(golden);
    mutate(bytes);
    expect(() => decodeEntry(bytes)).toThrow(ServiceLogError);
  });

  it('refuses trailing bytes, truncation and oversize input', () => {
    const bytes = encodeEntry(golden);
    expect(() => decodeEntry(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    for (let length = 0; length < bytes.length; length += 1) {
      expect(() => decodeEntry(bytes.subarray(0, length))).toThrow(ServiceLogError);
    }
    expect(() => decodeEntry(new Uint8Array(MAX_ENTRY_LENGTH + 1))).toThrow(/maximum/);
    expect(() => decodeEntry('01' as unknown as Uint8Array)).toThrow(ServiceLogError);
  });

  it('random bytes give an entry that re-encodes identically or BAD_ENTRY, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), expectOnlyLogErrors), { numRuns: 2000 });
  });

  it('truncations and bit flips of valid encodings give only BAD_ENTRY or an exact re-encoding', () => {
    fc.assert(
      fc.property(arbEntry, fc.nat(), fc.nat(7), fc.nat(), (entry, at, bit, cut) => {
        const bytes = encodeEntry(entry);
        expectOnlyLogErrors(bytes.subarray(0, cut % bytes.length));
        const flipped = bytes.slice();
        flipped[at % bytes.length] = flipped[at % bytes.length]! ^ (1 << bit);
        expectOnlyLogErrors(flipped);
        expect(toHex(flipped)).not.toBe(toHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});
