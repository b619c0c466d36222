/**
 * Blocks (SPEC §7 "Ledger"): the header, its hash, the transaction root, and the encoding of a whole block.
 *
 * header = {chain, height, prevHash, round, stateRoot, txRoot, time, kind, proposer, leaders, parentCertHash}
 * hash   = SHA-256('AME-BLOCK-v1' ‖ 0x00 ‖ cbor(header))
 * block  = cbor({header, certificate, parentCertificate, txs})
 *
 * `stateRoot` is the store root after the block's execution. `certificate` holds the final committee's
 * signatures over this header's hash (added after consensus, so not covered by it); `parentCertificate` is the
 * previous block's certificate, committed to by `parentCertHash` — its members are paid the verifiers' share of
 * the previous block when this block executes. `txs` are the encoded transactions in execution order.
 *
 * A certificate is `[{member, sig}]` over `certificateMessage(header hash)`: either a quorum of the manager set
 * (member = a 32-byte node key, Ed25519) or a recovery certificate (member = a governance public key, signed
 * with its account scheme; recovery.ts decides when one is allowed).
 */
import { domainSeparated, Ed25519PublicKey, sha256, toHex } from '../crypto/index.ts';
import { encodeCbor, s, type CborValue, type Infer } from '../wire/index.ts';
import { LedgerError } from './errors.ts';
import { decodeStrict } from './tx.ts';

export const BLOCK_DOMAIN_TAG = 'AME-BLOCK-v1';
export const CERTIFICATE_DOMAIN_TAG = 'AME-BLOCK-CERT-v1';
export const BLOCK_KINDS = ['final', 'tentative', 'empty'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];
/** Hard cap on an encoded block before parsing (the ledger's blockLimitBytes bounds the transactions). */
export const MAX_BLOCK_SIZE = 1 << 30;

const key32 = s.bytes({ len: 32 });
/** Entries hold a node key and an Ed25519 signature, or (recovery) a governance account key and its signature. */
const certSchema = s.array(s.struct({ member: s.bytes({ min: 1, max: 1024 }), sig: s.bytes({ min: 1, max: 1024 }) }), {
  max: 4096,
});
const headerSchema = s.struct({
  chain: key32,
  height: s.u64(),
  prevHash: key32,
  round: s.u64(),
  stateRoot: key32,
  txRoot: key32,
  time: s.u64(),
  kind: s.text({ max: 16 }),
  proposer: key32,
  leaders: s.array(key32, { max: 64 }),
  parentCertHash: key32,
});
const blockSchema = s.struct({
  header: headerSchema,
  certificate: certSchema,
  parentCertificate: certSchema,
  txs: s.array(s.bytes({ min: 1 }), { max: 1 << 20 }),
});

export type Certificate = Infer<typeof certSchema>;
export type BlockHeader = Omit<Infer<typeof headerSchema>, 'kind'> & { readonly kind: BlockKind };
export interface Block {
  readonly header: BlockHeader;
  readonly certificate: Certificate;
  readonly parentCertificate: Certificate;
  readonly txs: readonly Uint8Array[];
}

export function encodeHeader(header: BlockHeader): Uint8Array {
  return encodeCbor(header as unknown as CborValue);
}

export function headerHash(header: BlockHeader): Uint8Array {
  return sha256(domainSeparated(BLOCK_DOMAIN_TAG, encodeHeader(header)));
}

export function certificateHash(certificate: Certificate): Uint8Array {
  return sha256(encodeCbor(certificate as unknown as CborValue));
}

/** The bytes a committee member signs for a block: tag ‖ 0x00 ‖ header hash. */
export function certificateMessage(hash: Uint8Array): Uint8Array {
  return domainSeparated(CERTIFICATE_DOMAIN_TAG, hash);
}

export function encodeBlock(block: Block): Uint8Array {
  return encodeCbor(block as unknown as CborValue);
}

function checkKind(kind: string, field: string): BlockKind {
  if (!(BLOCK_KINDS as readonly string[]).includes(kind)) {
    throw new LedgerError('BAD_FIELD', `unknown block kind ${JSON.stringify(kind)}`, { field });
  }
  return kind as BlockKind;
}

/** Strict decoder of untrusted bytes: MALFORMED / BAD_FIELD only. */
export function decodeBlock(bytes: Uint8Array, maxSize = MAX_BLOCK_SIZE): Block {
  const raw = decodeStrict(bytes, maxSize, blockSchema, 'block');
  return { ...raw, header: { ...raw.header, kind: checkKind(raw.header.kind, 'block.header.kind') } };
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const raw = decodeStrict(bytes, 1 << 16, headerSchema, 'header');
  return { ...raw, kind: checkKind(raw.kind, 'header.kind') };
}

/**
 * Merkle root over transaction hashes: leaf = H(0x00 ‖ h), node = H(0x01 ‖ l ‖ r), an odd last node moves up;
 * root = H(0x02 ‖ u64 count ‖ top) (32 zero bytes stand in for the top of an empty list).
 */
export function txRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let level = hashes.map((h) => sha256(Buffer.concat([Buffer.from([0]), h])));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right === undefined ? level[i]! : sha256(Buffer.concat([Buffer.from([1]), level[i]!, right])));
    }
    level = next;
  }
  const count = Buffer.alloc(8);
  count.writeBigUInt64BE(BigInt(hashes.length));
  return sha256(Buffer.concat([Buffer.from([2]), count, level[0] ?? new Uint8Array(32)]));
}

/** An Ed25519 check that never throws (false for a key that is not a curve point). */
export function ed25519Verify(key: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  try {
    return new Ed25519PublicKey(key).verify(message, sig);
  } catch {
    return false;
  }
}

/** ⌊2n/3⌋ + 1. */
export function quorum(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

/**
 * Checks a certificate over `hash` against a manager set: every entry a distinct member with a valid Ed25519
 * signature, and at least ⌊2n/3⌋ + 1 of them. BAD_CERTIFICATE naming the entry otherwise. Returns the signers.
 */
export function verifyCertificate(
  hash: Uint8Array,
  certificate: Certificate,
  managers: readonly Uint8Array[],
  verify: (key: Uint8Array, message: Uint8Array, sig: Uint8Array) => boolean,
): Uint8Array[] {
  const members = new Set(managers.map(toHex));
  const seen = new Set<string>();
  const message = certificateMessage(hash);
  for (const [i, { member, sig }] of certificate.entries()) {
    const hex = toHex(member);
    const field = `certificate[${i}]`;
    if (!members.has(hex)) throw new LedgerError('BAD_CERTIFICATE', 'signer is not in the manager set', { field });
    if (seen.has(hex)) throw new LedgerError('BAD_CERTIFICATE', 'member signed twice', { field });
    if (!verify(member, message, sig)) throw new LedgerError('BAD_CERTIFICATE', 'signature does not verify', { field });
    seen.add(hex);
  }
  const need = quorum(managers.length);
  if (seen.size < need) {
    throw new LedgerError('BAD_CERTIFICATE', `${seen.size} signatures, quorum is ${need} of ${managers.length}`, {
      field: 'certificate',
    });
  }
  return certificate.map((c) => c.member);
}
