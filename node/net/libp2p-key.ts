/** Our Ed25519 node key as a libp2p private key, so that libp2p's PeerId is the one node/crypto computes. */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Ed25519KeyPair } from '../crypto/node-key.ts';
import { peerIdOf } from '../crypto/peer-id.ts';
import { NetError } from './errors.ts';

export async function libp2pPrivateKey(nodeKey: Ed25519KeyPair): Promise<PrivateKey> {
  const key = await generateKeyPairFromSeed('Ed25519', nodeKey.seed());
  // Both derive the public key from the same RFC 8032 seed; a mismatch would mean one library changed its encoding.
  if (peerIdFromPrivateKey(key).toString() !== peerIdOf(nodeKey)) {
    throw new NetError('BAD_REQUEST', 'libp2p derives a different PeerId from this node key');
  }
  return key;
}
