/**
 * The bytes each signed message's signature covers: a domain tag per message type, then its fields at fixed
 * widths (u32 big-endian integers, 32-byte hashes, length-prefixed variable fields). Fixed widths make the
 * encoding injective without a parser, and it is cheap enough to compute for every vote of a simulated run.
 */
import type { Commit, Hash, PrePrepare, Prepare, Proposal, SignedAcpMessage, Vote } from './types.ts';

const encoder = new TextEncoder();

class ByteWriter {
  #buf = new Uint8Array(256);
  #length = 0;

  #room(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#length + n));
    bigger.set(this.#buf.subarray(0, this.#length));
    this.#buf = bigger;
  }

  text(tag: string): this {
    return this.bytes(encoder.encode(tag));
  }

  u32(n: number): this {
    this.#room(4);
    const b = this.#buf;
    const at = this.#length;
    b[at] = (n >>> 24) & 0xff;
    b[at + 1] = (n >>> 16) & 0xff;
    b[at + 2] = (n >>> 8) & 0xff;
    b[at + 3] = n & 0xff;
    this.#length += 4;
    return this;
  }

  /** A length-prefixed field. */
  bytes(b: Uint8Array): this {
    return this.u32(b.length).raw(b);
  }

  raw(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#length);
    this.#length += b.length;
    return this;
  }

  done(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}

const NONE = new Uint8Array(0);

export function writer(): ByteWriter {
  return new ByteWriter();
}

function proposalBytes(m: Omit<Proposal, 'sig' | 'kind'>): Uint8Array {
  return writer()
    .text('AME-ACP-proposal')
    .u32(m.height)
    .u32(m.from)
    .bytes(m.prev)
    .bytes(m.valueHash)
    .u32(m.size)
    .bytes(m.vrfProof)
    .done();
}

function voteBytes(m: Omit<Vote, 'sig' | 'kind'>): Uint8Array {
  return writer()
    .text('AME-ACP-vote')
    .u32(m.step)
    .u32(m.height)
    .u32(m.from)
    .bytes(m.id)
    .bytes(m.cred ?? NONE)
    .done();
}

function prePrepareBytes(m: Omit<PrePrepare, 'sig' | 'kind'>, hash: (b: Uint8Array) => Hash): Uint8Array {
  return writer()
    .text('AME-ACP-preprepare')
    .u32(m.height)
    .u32(m.from)
    .bytes(m.prev)
    .bytes(m.id)
    .bytes(m.proposal === undefined ? NONE : hash(proposalBytes(m.proposal)))
    .bytes(m.cred ?? NONE)
    .done();
}

function prepareBytes(m: Omit<Prepare, 'sig' | 'kind'>): Uint8Array {
  return writer()
    .text('AME-ACP-prepare')
    .u32(m.height)
    .u32(m.from)
    .u32(m.leader)
    .bytes(m.id)
    .bytes(m.cred ?? NONE)
    .done();
}

function commitBytes(m: Omit<Commit, 'sig' | 'kind'>): Uint8Array {
  return writer()
    .text('AME-ACP-commit')
    .u32(m.height)
    .u32(m.from)
    .bytes(m.id)
    .bytes(m.cred ?? NONE)
    .done();
}

type Unsigned<M> = M extends { sig: Uint8Array } ? Omit<M, 'sig'> : never;

/** The signed bytes of any signed ACP message (its `sig` field ignored). */
export function signingBytes(m: Unsigned<SignedAcpMessage> | SignedAcpMessage, hash: (b: Uint8Array) => Hash): Uint8Array {
  switch (m.kind) {
    case 'proposal':
      return proposalBytes(m);
    case 'vote':
      return voteBytes(m);
    case 'preprepare':
      return prePrepareBytes(m, hash);
    case 'prepare':
      return prepareBytes(m);
    case 'commit':
      return commitBytes(m);
  }
}

/** The id of a non-empty block: the hash of its proposal's signed bytes. */
export function proposalId(p: Proposal, hash: (b: Uint8Array) => Hash): Hash {
  return hash(proposalBytes(p));
}

/** The id of the empty block at `height` after `prev`: every node that agrees on `prev` agrees on it. */
export function emptyId(height: number, prev: Hash, hash: (b: Uint8Array) => Hash): Hash {
  return hash(writer().text('AME-ACP-empty').u32(height).bytes(prev).done());
}

/** The VRF input of a round: RS(r) and r (§2.2.4, Final Committee Selection). */
export function vrfAlpha(seed: Hash, height: number): Uint8Array {
  return writer().text('AME-ACP-vrf').bytes(seed).u32(height).done();
}

/** RS(r) = H(VRF output of the agreed proposer on RS(r−1) ‖ r), or H(RS(r−1) ‖ r) after an empty block. */
export function nextSeed(prevSeed: Hash, proposerOutput: Uint8Array | undefined, height: number, hash: (b: Uint8Array) => Hash): Hash {
  return hash(writer().text('AME-ACP-seed').bytes(proposerOutput ?? prevSeed).u32(height).done());
}
