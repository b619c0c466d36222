/**
 * Stages I and II: the potential committee (the m lowest weights H(RS, r, PK)/reputation) and the final committee
 * (members whose VRF output on (RS, r) falls under m/E of the range). Up to `fullCommitteeUpTo` managers both are
 * the whole ring. One Committee object per (seed, height); it caches the VRF proofs it has checked.
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite } from '../crypto-suite.ts';
import { vrfAlpha, writer } from '../sign-bytes.ts';
import type { Hash } from '../types.ts';
import { quorumOf, type AcpParams } from './params.ts';

export interface Member {
  readonly publicKey: Uint8Array;
  /** Reputation in round r: a positive integer; weights divide by it. */
  readonly reputation: number;
}

function bigFromBytes(b: Uint8Array): bigint {
  return BigInt(`0x${toHex(b) || '0'}`);
}

/** A VRF output read as a fraction of [0, 1) (its first 48 bits). */
export function vrfFraction(output: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (output[i] ?? 0);
  return v / 2 ** 48;
}

/** Indices of the m members with the lowest H(RS ‖ r ‖ PK) / reputation, ties by index. */
export function potentialCommittee(
  members: readonly Member[],
  seed: Hash,
  height: number,
  m: number,
  suite: CryptoSuite,
): number[] {
  const weights = members.map((member, index) => ({
    index,
    h: bigFromBytes(suite.hash(writer().text('AME-ACP-weight').bytes(seed).u32(height).bytes(member.publicKey).done())),
    rep: BigInt(Math.max(1, Math.floor(member.reputation))),
  }));
  weights.sort((a, b) => {
    const l = a.h * b.rep;
    const r = b.h * a.rep;
    return l < r ? -1 : l > r ? 1 : a.index - b.index;
  });
  return weights.slice(0, m).map((w) => w.index);
}

export class Committee {
  readonly height: number;
  readonly seed: Hash;
  readonly full: boolean;
  readonly quorum: number;
  /** Potential committee, as a set of member indices. */
  readonly potential: ReadonlySet<number>;
  /** The probability a potential member is in the final committee (1 when committees are the whole ring). */
  readonly selectProbability: number;
  readonly alpha: Uint8Array;
  readonly #members: readonly Member[];
  readonly #suite: CryptoSuite;
  readonly #checked = new Map<string, Uint8Array | null>();

  constructor(members: readonly Member[], seed: Hash, height: number, params: AcpParams, suite: CryptoSuite) {
    this.height = height;
    this.seed = seed;
    this.#members = members;
    this.#suite = suite;
    this.full = members.length <= params.fullCommitteeUpTo;
    this.quorum = quorumOf(params, members.length);
    this.alpha = vrfAlpha(seed, height);
    if (this.full) {
      this.potential = new Set(members.map((_, i) => i));
      this.selectProbability = 1;
    } else {
      const m = Math.min(params.potentialSize, members.length);
      this.potential = new Set(potentialCommittee(members, seed, height, m, suite));
      this.selectProbability = params.expectedFinalSize / m;
    }
  }

  /** The VRF output of `from` on this round, if `proof` checks; undefined for a bad proof or a non-member. */
  vrfOutput(from: number, proof: Uint8Array): Uint8Array | undefined {
    const member = this.#members[from];
    if (member === undefined || !this.potential.has(from)) return undefined;
    const key = `${from}:${toHex(proof)}`;
    let out = this.#checked.get(key);
    if (out === undefined) {
      out = this.#suite.vrfVerify(member.publicKey, proof, this.alpha) ?? null;
      this.#checked.set(key, out);
    }
    return out ?? undefined;
  }

  /**
   * The VRF output `proof` claims for `from` on this round, NOT verified (undefined for a non-member or a proof
   * that does not decode). `vrfOutput` confirms it: equal for a valid proof, undefined otherwise.
   */
  vrfClaim(from: number, proof: Uint8Array): Uint8Array | undefined {
    const member = this.#members[from];
    if (member === undefined || !this.potential.has(from)) return undefined;
    return this.#suite.vrfClaim(member.publicKey, proof, this.alpha);
  }

  /** Whether a VRF output selects its owner into the final committee. */
  selects(output: Uint8Array): boolean {
    return this.full || vrfFraction(output) < this.selectProbability;
  }

  /** Final-committee membership of `from`, given its credential (ignored while committees are the whole ring). */
  isFinalMember(from: number, cred: Uint8Array | undefined): boolean {
    if (this.full) return from >= 0 && from < this.#members.length && Number.isInteger(from);
    if (cred === undefined) return false;
    const out = this.vrfOutput(from, cred);
    return out !== undefined && this.selects(out);
  }

  publicKey(from: number): Uint8Array | undefined {
    return this.#members[from]?.publicKey;
  }
}
