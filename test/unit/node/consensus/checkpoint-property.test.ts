import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { buildCheckpoint } from '../../../../node/consensus/acp/checkpoint.ts';
import { evidenceOf } from '../../../../node/consensus/acp/evidence.ts';
import { AcpNode } from '../../../../node/consensus/acp/node.ts';
import { decodeAcpMessage, encodeAcpMessage } from '../../../../node/consensus/codec.ts';
import { ConsensusError } from '../../../../node/consensus/errors.ts';
import type { AcpMessage, Checkpoint, Commit } from '../../../../node/consensus/types.ts';
import { acpRing } from './acp-ring.ts';

const RUNS = 400;
const ring = acpRing(4, { keepHeights: 2 });
ring.run(6000);
const genuine = buildCheckpoint(ring.nodes[0]!.store, 0)!;
const genuineBytes = encodeAcpMessage(genuine);
const genuineId = ring.nodes[0]!.store.bestFinal.idHex;

/** A wiped node that asked members 0–2 to sync (so their checkpoints are solicited). */
function requester(): AcpNode {
  const x = new AcpNode(ring.config(3));
  x.handle({ kind: 'start' });
  const best = evidenceOf(ring.nodes[0]!.store.bestFinal);
  for (const from of [0, 1, 2]) x.handle({ kind: 'message', message: { kind: 'status', from, blocks: [best] } });
  return x;
}

/** Decodes untrusted bytes: a message, or undefined after ConsensusError BAD_MESSAGE (anything else fails). */
function decode(bytes: Uint8Array): AcpMessage | undefined {
  try {
    return decodeAcpMessage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ConsensusError);
    expect((e as ConsensusError).code).toBe('BAD_MESSAGE');
    return undefined;
  }
}

/** Feeds a decoded message to a fresh requester; returns the heights and ids it adopted. */
function adoptedBy(m: AcpMessage): string[] {
  return requester()
    .handle({ kind: 'message', message: m })
    .flatMap((o) => (o.kind === 'decide' ? [`${o.height}/${toHex(o.id)}`] : []));
}

const flip = (b: Uint8Array, at: number, x: number): Uint8Array => {
  const c = Uint8Array.from(b);
  const i = at % c.length;
  c[i] = c[i]! ^ x;
  return c;
};

type Mutation = (cp: Checkpoint, a: number, b: number) => Checkpoint;
const mutations: Record<string, Mutation> = {
  height: (cp, a) => ({ ...cp, height: Math.max(0, cp.height + (a % 7) - 3) }),
  from: (cp, a) => ({ ...cp, from: a % 6 }),
  dropCommit: (cp, a) => ({ ...cp, commits: cp.commits.filter((_, i) => i !== a % cp.commits.length) }),
  duplicateCommit: (cp, a) => ({ ...cp, commits: [...cp.commits.slice(1), cp.commits[a % cp.commits.length]!] }),
  commitField: (cp, a, b) => ({
    ...cp,
    commits: cp.commits.map((c, i): Commit => {
      if (i !== a % cp.commits.length) return c;
      const pick = b % 5;
      if (pick === 0) return { ...c, from: (c.from + 1 + (b % 5)) % 6 };
      if (pick === 1) return { ...c, height: c.height + 1 };
      if (pick === 2) return { ...c, id: flip(c.id, b, 1 + (a % 255)) };
      if (pick === 3) return { ...c, sig: flip(c.sig, b, 1 + (a % 255)) };
      return { ...c, cred: Uint8Array.of(a % 256) };
    }),
  }),
  baseField: (cp, a, b) => {
    const base = cp.base!;
    const x = 1 + (a % 255);
    const changed = [
      { ...base, height: base.height + 1 },
      { ...base, from: (base.from + 1) % 4 },
      { ...base, prev: flip(base.prev, b, x) },
      { ...base, valueHash: flip(base.valueHash, b, x) },
      { ...base, size: base.size + 1 },
      { ...base, vrfProof: flip(base.vrfProof, b, x) },
      { ...base, sig: flip(base.sig, b, x) },
    ][b % 7]!;
    return { ...cp, base: changed };
  },
  seed: (cp, a, b) => ({ ...cp, seed: flip(cp.seed!, b, 1 + (a % 255)) }),
  noBase: (cp) => ({ kind: 'checkpoint', from: cp.from, height: cp.height, commits: cp.commits }),
};

describe('ACP checkpoints under random and mutated input (fast-check)', () => {
  it('the genuine checkpoint is adopted (the properties below can fail)', () => {
    expect(adoptedBy(decode(genuineBytes)!)).toEqual([`${genuine.height}/${genuineId}`]);
  });

  it('random bytes: the decoder throws ConsensusError only, and nothing decoded is adopted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const m = decode(bytes);
        if (m !== undefined) expect(adoptedBy(m)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('byte-mutated checkpoints: ConsensusError only, and only the genuine block is ever adopted', () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });
    let rejected = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.nat({ max: genuineBytes.length }), (edits, keep) => {
        const bytes = Uint8Array.from(genuineBytes.subarray(0, keep === 0 ? genuineBytes.length : Math.max(1, keep)));
        for (const e of edits) bytes[e.at % bytes.length] = e.byte;
        const m = decode(bytes);
        const adopted = m === undefined ? [] : adoptedBy(m);
        if (adopted.length === 0) rejected += 1;
        expect(adopted.every((a) => a === `${genuine.height}/${genuineId}`)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(rejected).toBeGreaterThan(RUNS / 2);
  });

  it('field-mutated checkpoints: only the genuine block is ever adopted', () => {
    const names = Object.keys(mutations);
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), fc.nat(), (name, a, b) => {
        const mutated = mutations[name]!(genuine, a, b);
        let bytes: Uint8Array;
        try {
          bytes = encodeAcpMessage(mutated);
        } catch {
          return;
        }
        const m = decode(bytes);
        const adopted = m === undefined ? [] : adoptedBy(m);
        expect(adopted.every((x) => x === `${genuine.height}/${genuineId}`), name).toBe(true);
        if (adopted.length === 0) outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // Changes to the certified block's identity are always refused.
    for (const name of ['seed', 'baseField']) expect(outcomes.get(name) ?? 0, name).toBeGreaterThan(0);
  });
});
