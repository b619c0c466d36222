/**
 * The highest epoch a ring authority ever asked to have certified, kept in its data folder. Managers never sign
 * two different documents for one epoch (docs/manager.md "Ring-map certificates"), and a restarted authority
 * whose servers listen on new ports has a new genesis map: it must start above every epoch it had certified
 * before, or the managers refuse its map as a conflict. The epoch is written before the request leaves, so the
 * record is never below what any manager signed.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Certify } from '../epoch-certificate.ts';
import { RingError } from '../errors.ts';

export const EPOCH_RECORD_FILE = 'certified-epoch';

/** The highest epoch recorded in dataDir; 0 when nothing was ever certified there. */
export function recordedEpoch(dataDir: string): bigint {
  const path = join(dataDir, EPOCH_RECORD_FILE);
  if (!existsSync(path)) return 0n;
  const text = readFileSync(path, 'utf8').trim();
  if (!/^\d{1,20}$/.test(text)) throw new RingError('MALFORMED', `${path} does not hold an epoch: ${JSON.stringify(text.slice(0, 40))}`);
  return BigInt(text);
}

/** Replaces the file's content with text, on disk before it returns (a crash leaves the old or the new text). */
function writeDurably(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** `certify`, recording each document's epoch in dataDir first when it is above the recorded one. */
export function recordingEpochs(certify: Certify, dataDir: string): Certify {
  let recorded = recordedEpoch(dataDir);
  return (document) => {
    if (document.epoch > recorded) {
      writeDurably(join(dataDir, EPOCH_RECORD_FILE), `${document.epoch}\n`);
      recorded = document.epoch;
    }
    return certify(document);
  };
}
