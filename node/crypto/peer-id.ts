/**
 * PeerId text of a node key (SPEC §3: the node identity is its libp2p PeerId). An Ed25519 PeerId is an identity
 * multihash of the protobuf-encoded public key, so its base58btc text always begins with '12D3KooW'. Only Ed25519
 * PeerIds are nodes of ours; RSA, secp256k1 and hash-only (Qm…) PeerIds are refused.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { CryptoError } from './errors.ts';
import { ED25519_PUBLIC_KEY_LENGTH, Ed25519KeyPair, Ed25519PublicKey } from './node-key.ts';

/** Longest text worth handing to the multibase decoder; an Ed25519 PeerId has 52 characters. */
const MAX_PEER_ID_LENGTH = 128;

export function peerIdOf(key: Ed25519KeyPair | Ed25519PublicKey | Uint8Array): string {
  const raw = key instanceof Ed25519KeyPair ? key.publicKey.bytes : key instanceof Ed25519PublicKey ? key.bytes : key;
  if (raw.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new CryptoError('BAD_KEY', `Ed25519 public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`);
  }
  return peerIdFromPublicKey(publicKeyFromRaw(raw)).toString();
}

/**
 * The 32-byte Ed25519 public key inside a PeerId. BAD_ENCODING if the text is not a PeerId, UNSUPPORTED if it is
 * not an Ed25519 one.
 */
export function ed25519KeyFromPeerId(text: string): Uint8Array {
  if (typeof text !== 'string' || text === '' || text.length > MAX_PEER_ID_LENGTH) {
    throw new CryptoError('BAD_ENCODING', 'not a PeerId: wrong length');
  }
  let peerId: ReturnType<typeof peerIdFromString>;
  try {
    peerId = peerIdFromString(text);
  } catch (cause) {
    throw new CryptoError('BAD_ENCODING', `not a PeerId: ${(cause as Error).message}`, { cause });
  }
  if (peerId.type !== 'Ed25519' || peerId.publicKey === undefined) {
    throw new CryptoError('UNSUPPORTED', `${peerId.type} PeerId; AME nodes use Ed25519 keys`);
  }
  const raw = peerId.publicKey.raw;
  if (raw.length !== ED25519_PUBLIC_KEY_LENGTH) throw new CryptoError('BAD_KEY', 'PeerId holds a malformed key');
  return Uint8Array.from(raw);
}

/** The PeerId's key as a verifier; BAD_KEY as well if the bytes are not a valid Ed25519 point. */
export function ed25519PublicKeyFromPeerId(text: string): Ed25519PublicKey {
  return new Ed25519PublicKey(ed25519KeyFromPeerId(text));
}
