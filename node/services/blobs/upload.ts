/**
 * One chunk of a blob as a client or a peer sends it — the chunk, its index and the blob's manifest (encoded) —
 * checked once: the manifest decodes strictly, the chunk matches its root in it, and the address it leads to is
 * computed. A store keeps a checked upload without hashing it again (BlobStore.putUpload): a worker checks an
 * upload before it charges for it, so checking it again while storing it would be the same work twice.
 */
import { verifyChunk } from './chunk.ts';
import { decodeManifest, type Manifest, manifestAddress } from './manifest.ts';

export class CheckedUpload {
  /** The content address the manifest leads to. */
  readonly address: Uint8Array;
  readonly manifest: Manifest;
  /** The manifest's canonical encoding (the strict decoder admits nothing else), as a store keeps it. */
  readonly encodedManifest: Uint8Array;
  readonly index: number;
  readonly chunk: Uint8Array;

  private constructor(address: Uint8Array, manifest: Manifest, encodedManifest: Uint8Array, index: number, chunk: Uint8Array) {
    this.address = address;
    this.manifest = manifest;
    this.encodedManifest = encodedManifest;
    this.index = index;
    this.chunk = chunk;
  }

  /**
   * Checks chunk `index` against the manifest it came with (copies of both are kept, so nothing changes them after
   * the check): MALFORMED / TOO_LARGE for a manifest that does not decode, BAD_RANGE, MALFORMED or HASH_MISMATCH
   * for the chunk (verifyChunk's).
   */
  static check(encodedManifest: Uint8Array, index: number, chunk: Uint8Array): CheckedUpload {
    const manifest = decodeManifest(encodedManifest);
    verifyChunk(manifest, index, chunk);
    return new CheckedUpload(manifestAddress(manifest), manifest, Uint8Array.from(encodedManifest), index, Uint8Array.from(chunk));
  }
}
