/**
 * The ring authority's record of the highest epoch it asked to have certified: written before the request leaves
 * (so a failed or pending certification counts), never lowered, read back by a restart, and a damaged file is a
 * typed refusal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair } from '../../../../../node/crypto/index.ts';
import { authorityCertify, type EpochDocument, RingError } from '../../../../../node/ring/index.ts';
import { EPOCH_RECORD_FILE, recordedEpoch, recordingEpochs } from '../../../../../node/ring/service/epoch-record.ts';
import { codeOf } from '../../../../support/error-code.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ame-epoch-record-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const key = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(3));
const doc = (epoch: bigint): EpochDocument => ({ tag: 'AME-RING-VIEW-v1', bytes: new Uint8Array([1, 2, 3]), epoch });

describe('epoch record', () => {
  it('starts at 0, records the highest epoch asked, and a restart reads it back', async () => {
    expect(recordedEpoch(dir)).toBe(0n);
    const certify = recordingEpochs(authorityCertify(key), dir);
    expect((await certify(doc(1n))).epoch).toBe(1n);
    await certify(doc(4n));
    await certify(doc(2n)); // a late view of an older epoch does not lower the record
    expect(recordedEpoch(dir)).toBe(4n);
    const again = recordingEpochs(authorityCertify(key), dir);
    await again(doc(3n));
    expect(recordedEpoch(dir)).toBe(4n);
  });

  it('records the epoch before the certification is asked, even when it fails', async () => {
    const failing = recordingEpochs(() => Promise.reject(new RingError('NO_QUORUM', 'no managers')), dir);
    await expect(failing(doc(7n))).rejects.toThrow('no managers');
    expect(recordedEpoch(dir)).toBe(7n);
  });

  it('refuses a damaged record as MALFORMED', () => {
    writeFileSync(join(dir, EPOCH_RECORD_FILE), 'seven\n');
    expect(codeOf(() => recordedEpoch(dir), RingError)).toBe('MALFORMED');
  });
});
