/**
 * The holder's side of an audit: answer a challenge from a manifest and the chunks the picks fall in. Nothing is
 * checked here: the auditor checks everything, and a holder whose data is damaged fails the audit either way.
 * Reading a chunk costs one tree over its segments, done once per chunk however many picks land in it.
 */
import { type AuditChallenge, auditIndices, type AuditResponse, type SegmentProof, segmentDigest } from './audit.ts';
import { chunkLeaves } from './chunk.ts';
import { BlobError } from './errors.ts';
import { SEGMENT_SIZE, segmentCount, segmentsPerChunk } from './format.ts';
import type { Manifest } from './manifest.ts';
import { merklePath } from './merkle.ts';
import type { BlobStore } from './store.ts';

/** Chunk `index` of the audited blob, as the holder has it. */
export type ChunkReader = (index: number) => Uint8Array;

export function proveStorage(challenge: AuditChallenge, manifest: Manifest, readChunk: ChunkReader): AuditResponse {
  const perChunk = segmentsPerChunk(manifest.chunkSize);
  const read = new Map<number, { data: Uint8Array; leaves: Uint8Array[] }>();
  const proofs: SegmentProof[] = [];
  for (const index of auditIndices(challenge, segmentCount(manifest.size))) {
    const chunkIndex = Math.floor(index / perChunk);
    let chunk = read.get(chunkIndex);
    if (chunk === undefined) {
      const data = readChunk(chunkIndex);
      chunk = { data, leaves: chunkLeaves(data) };
      read.set(chunkIndex, chunk);
    }
    const local = index - chunkIndex * perChunk;
    if (local >= chunk.leaves.length) {
      throw new BlobError('CORRUPT', `chunk ${chunkIndex} is too short to hold segment ${index}`);
    }
    const segment = chunk.data.slice(local * SEGMENT_SIZE, (local + 1) * SEGMENT_SIZE);
    // A chunk's root is a node of the blob's tree, so the path to the top is the path to the chunk root followed
    // by the chunk root's path among the chunk roots (merkle.ts).
    const path = [...merklePath(chunk.leaves, local), ...merklePath(manifest.chunkRoots, chunkIndex)];
    proofs.push({ index, segment, path, digest: segmentDigest(challenge, index, segment) });
  }
  return { size: manifest.size, proofs };
}

/** Answers from a store: NOT_FOUND when the blob or a picked chunk is not held, CORRUPT when one is damaged. */
export function answerAudit(store: BlobStore, challenge: AuditChallenge): AuditResponse {
  const manifest = store.manifest(challenge.address);
  if (manifest === undefined) throw new BlobError('NOT_FOUND', 'audited blob is not held');
  return proveStorage(challenge, manifest, (index) => store.getChunk(challenge.address, index));
}
