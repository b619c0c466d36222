import { describe, expect, it } from 'vitest';
import { decodeAcpMessage, encodeAcpMessage } from '../../../../node/consensus/codec.ts';
import { ConsensusError } from '../../../../node/consensus/errors.ts';
import { runAcp } from '../../../../node/consensus/sim/run-acp.ts';
import type { AcpMessage } from '../../../../node/consensus/types.ts';
import { seededRandom } from '../../../support/seeded.ts';

describe('ACP wire codec', () => {
  it('round-trips every message of a simulated run with Byzantine nodes', () => {
    const kinds = new Set<string>();
    const report = runAcp({
      seed: 11, n: 5, byzantine: ['equivocating-voter'], durationMs: 6000,
      wire: {
        encode: (m: AcpMessage) => {
          kinds.add(m.kind);
          const bytes = encodeAcpMessage(m);
          expect(encodeAcpMessage(decodeAcpMessage(bytes))).toEqual(bytes);
          return bytes;
        },
        decode: decodeAcpMessage,
      },
    });
    expect(report.ok).toBe(true);
    for (const k of ['proposal', 'vote', 'preprepare', 'prepare', 'commit', 'decision']) expect(kinds).toContain(k);
  });

  it('rejects malformed, unknown and mutated input with ConsensusError BAD_MESSAGE only', () => {
    const good = encodeAcpMessage({ kind: 'sync', from: 1, height: 3 });
    const random = seededRandom(5);
    const inputs: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0xff), encodeAcpMessage({ kind: 'sync', from: 1, height: 3 }).slice(0, 5)];
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from(good);
      b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      inputs.push(b);
      inputs.push(Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    }
    let rejected = 0;
    for (const input of inputs) {
      try {
        decodeAcpMessage(input);
      } catch (e) {
        expect(e).toBeInstanceOf(ConsensusError);
        expect((e as ConsensusError).code).toBe('BAD_MESSAGE');
        rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(inputs.length / 2);
    expect(() => decodeAcpMessage(encodeAcpMessage({ kind: 'sync', from: 1, height: 3, extra: 1 } as never))).toThrow(ConsensusError);
    expect(() => decodeAcpMessage(encodeAcpMessage({ kind: 'vote', step: 3 } as never))).toThrow(ConsensusError);
  });
});
