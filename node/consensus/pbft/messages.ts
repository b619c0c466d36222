/**
 * Signed bytes, block ids and checks of PBFT messages. Signatures cover fixed-width bytes with a domain tag per
 * kind (as ACP's sign-bytes.ts); a view change signs its prepared certificate's (view, value), whose prepares
 * carry their own signatures.
 */
import { toHex } from '../../crypto/index.ts';
import type { CryptoSuite } from '../crypto-suite.ts';
import { writer } from '../sign-bytes.ts';
import type { Hash } from '../types.ts';
import type { PbftCommit, PbftPrepare, PreparedCertificate, SignedPbftMessage } from './types.ts';

const NONE = new Uint8Array(0);

export type UnsignedPbft = SignedPbftMessage extends infer M ? (M extends { sig: Uint8Array } ? Omit<M, 'sig'> : never) : never;

export function pbftSigningBytes(m: UnsignedPbft | SignedPbftMessage): Uint8Array {
  const w = writer().text(`AME-PBFT-${m.kind}`).u32(m.height).u32(m.view).u32(m.from);
  switch (m.kind) {
    case 'preprepare':
      return w.bytes(m.valueHash).done();
    case 'prepare':
    case 'commit':
      return w.bytes(m.id).done();
    case 'view-change':
      return m.prepared === undefined
        ? w.u32(0).bytes(NONE).done()
        : w.u32(m.prepared.view + 1).bytes(m.prepared.valueHash).done();
  }
}

/** The block id of `valueHash` at `height`. */
export function pbftBlockId(height: number, valueHash: Hash, hash: (b: Uint8Array) => Hash): Hash {
  return hash(writer().text('AME-PBFT-block').u32(height).bytes(valueHash).done());
}

/** Everything a node needs to check messages: the members' keys, the quorum and the suite. */
export interface PbftVerifier {
  readonly publicKeys: readonly Uint8Array[];
  readonly quorum: number;
  readonly suite: CryptoSuite;
}

export function signedValid(m: SignedPbftMessage, v: PbftVerifier): boolean {
  if (!Number.isSafeInteger(m.height) || !Number.isSafeInteger(m.view) || m.height < 1 || m.view < 0) return false;
  const key = v.publicKeys[m.from];
  return key !== undefined && v.suite.verify(key, pbftSigningBytes(m), m.sig);
}

/** ≥ quorum valid votes from distinct members for (height, view, id); returns them, or undefined. */
export function checkVotes<M extends PbftPrepare | PbftCommit>(
  votes: readonly M[],
  kind: M['kind'],
  height: number,
  view: number,
  id: Hash,
  v: PbftVerifier,
): M[] | undefined {
  const idHex = toHex(id);
  const seen = new Set<number>();
  const valid: M[] = [];
  for (const m of votes) {
    if (m.kind !== kind || m.height !== height || m.view !== view || seen.has(m.from) || toHex(m.id) !== idHex) continue;
    if (!signedValid(m, v)) continue;
    seen.add(m.from);
    valid.push(m);
  }
  return valid.length >= v.quorum ? valid : undefined;
}

export function preparedValid(height: number, cert: PreparedCertificate, v: PbftVerifier): boolean {
  const id = pbftBlockId(height, cert.valueHash, v.suite.hash);
  return checkVotes(cert.prepares, 'prepare', height, cert.view, id, v) !== undefined;
}
