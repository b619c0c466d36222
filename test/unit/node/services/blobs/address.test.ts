import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressHex, blobAddress, merkleTop, segmentLeaf } from '../../../../../node/services/blobs/index.ts';
import { bytes32 } from './fixtures.ts';

function reference(size: number, top: Uint8Array): string {
  const sizeBytes = Buffer.alloc(8);
  sizeBytes.writeBigUInt64BE(BigInt(size));
  return createHash('sha256').update('AME-BLOB-v1\0').update(sizeBytes).update(top).digest('hex');
}

describe('content address', () => {
  it('is SHA-256 of the tag, the size and the top (recomputed with node:crypto)', () => {
    const top = merkleTop([segmentLeaf(bytes32('x'))]);
    expect(addressHex(blobAddress(32, top))).toBe(reference(32, top));
    expect(addressHex(blobAddress(0, undefined))).toBe(reference(0, new Uint8Array(32)));
  });

  it('commits to the size: the same top under another size is another address', () => {
    const top = bytes32('top');
    expect(addressHex(blobAddress(4096, top))).not.toBe(addressHex(blobAddress(4095, top)));
    expect(addressHex(blobAddress(1, top))).not.toBe(addressHex(blobAddress(2 ** 33 + 1, top)));
  });
});
