import { describe, expect, it } from 'vitest';
import { createRegistry, decodeEnvelope, heartbeat, ping, pong, wireMessages } from '../../../../node/wire/index.ts';
import { testKeys } from '../../../support/wire-arbitraries.ts';

const key = testKeys[2]!;

describe('wire messages', () => {
  it('carries a heartbeat with a u64 epoch and uptime counters', () => {
    const body = { unity: 0xffff_ffff, epoch: 2n ** 64n - 1n, uptime: 3_600_000, sent: 360, interval: 10_000 };
    const bytes = heartbeat.encode(key, { seq: 360, time: 1_700_000_000_000, body });
    expect(bytes.length).toBeLessThanOrEqual(heartbeat.maxSize);
    expect(decodeEnvelope(createRegistry(wireMessages), bytes).body).toEqual(body);
  });

  it('refuses a heartbeat whose unity index does not fit 32 bits', () => {
    const body = { unity: 2 ** 32, epoch: 1n, uptime: 0, sent: 1, interval: 10_000 };
    expect(() => heartbeat.encode(key, { seq: 1, time: 0, body })).toThrowError(/^body\.unity: 4294967296 exceeds/);
  });

  it('echoes a ping nonce in a pong', () => {
    const registry = createRegistry([ping, pong]);
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    const question = decodeEnvelope(registry, ping.encode(key, { seq: 1, time: 5, body: { nonce } }));
    const answer = decodeEnvelope(registry, pong.encode(testKeys[3]!, { seq: 9, time: 6, body: question.body }));
    expect(answer.type).toBe('pong');
    expect(answer.body.nonce).toEqual(nonce);
    expect(answer.from).toEqual(testKeys[3]!.publicKey.bytes);
  });

  it('keeps every wire message inside its size limit at the largest field values', () => {
    const nonce = new Uint8Array(16).fill(0xff);
    const max = Number.MAX_SAFE_INTEGER;
    const sizes = [
      heartbeat.encode(key, {
        seq: max,
        time: max,
        body: { unity: 0xffff_ffff, epoch: 2n ** 64n - 1n, uptime: max, sent: max, interval: 86_400_000 },
      }).length,
      ping.encode(key, { seq: max, time: max, body: { nonce } }).length,
      pong.encode(key, { seq: max, time: max, body: { nonce } }).length,
    ];
    expect(sizes[0]).toBeLessThanOrEqual(heartbeat.maxSize);
    expect(sizes[1]).toBeLessThanOrEqual(ping.maxSize);
    expect(sizes[2]).toBeLessThanOrEqual(pong.maxSize);
  });
});
