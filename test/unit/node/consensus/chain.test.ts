import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../../../node/consensus/acp/chain.ts';
import { sha256 } from '../../../../node/consensus/crypto-suite.ts';
import type { Commit, Prepare } from '../../../../node/consensus/types.ts';

const genesis = () => new BlockStore(new Uint8Array(32).fill(9), new Uint8Array(32).fill(1), sha256);
const fakeCert = [] as readonly Commit[];
const fakePrepares = [{}] as unknown as readonly Prepare[];

describe('ACP block store and fork choice', () => {
  it('empty blocks are the same for every node that agrees on the parent', () => {
    const a = genesis();
    const b = genesis();
    expect(a.empty(a.bestFinal).idHex).toBe(b.empty(b.bestFinal).idHex);
    expect(a.empty(a.bestFinal).seed).toEqual(a.bestFinal.nextSeed);
  });

  it('a final block confirms its tentative ancestors, lowest first', () => {
    const s = genesis();
    const e1 = s.empty(s.bestFinal);
    const e2 = s.empty(e1);
    const e3 = s.empty(e2);
    const fresh = s.finalize(e3, fakeCert)!;
    expect(fresh.map((b) => b.height)).toEqual([1, 2, 3]);
    expect(s.bestFinal).toBe(e3);
    expect(s.finalize(e3, fakeCert)).toEqual([]);
  });

  it('refuses a certified block that conflicts with the final chain', () => {
    const s = genesis();
    const root = s.bestFinal;
    const e1 = s.empty(root);
    s.finalize(s.empty(e1), fakeCert);
    // A non-empty sibling of e1 at height 1, and its descendants, cannot become final.
    const sibling = s.withProposal(root, {} as never, new Uint8Array(32).fill(3), new Uint8Array(32));
    expect(s.finalize(s.empty(s.empty(sibling)), fakeCert)).toBeUndefined();
    expect(s.finalize(sibling, fakeCert)).toBeUndefined();
  });

  it('follows the highest prepared block above the best final one', () => {
    const s = genesis();
    const e1 = s.empty(s.bestFinal);
    expect(s.headFor(3).height).toBe(2);
    expect(s.anchor()).toBe(s.bestFinal);
    e1.prepares = fakePrepares;
    expect(s.anchor()).toBe(e1);
    expect(s.headFor(4).height).toBe(3);
    expect(s.descends(s.headFor(4), e1)).toBe(true);
    expect(s.branchFrom(s.headFor(4), 1, 10).map((b) => b.height)).toEqual([1, 2, 3]);
  });
});
