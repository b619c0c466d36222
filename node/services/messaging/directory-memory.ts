/** The prekey directory in memory: for tests, simulators and relays that may lose it on restart. */
import { toHex } from '../../crypto/index.ts';
import { ServiceError } from '../errors.ts';
import {
  bundleOf,
  checkAddress,
  checkMaxOneTime,
  checkUpload,
  DEFAULT_MAX_ONE_TIME,
  type HeldHead,
  planPublish,
  type PrekeyDirectory,
  type PublishResult,
} from './directory.ts';
import type { SignedPrekey } from './prekeys.ts';

interface Entry {
  head: HeldHead;
  /** Ascending by id: uploads only add ids above all held ones. */
  oneTime: SignedPrekey[];
}

export interface MemoryDirectoryOptions {
  readonly maxOneTime?: number;
}

export class MemoryPrekeyDirectory implements PrekeyDirectory {
  readonly maxOneTime: number;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: MemoryDirectoryOptions = {}) {
    this.maxOneTime = checkMaxOneTime(options.maxOneTime ?? DEFAULT_MAX_ONE_TIME);
  }

  publish(bytes: Uint8Array): PublishResult {
    this.#check();
    const { address, upload } = checkUpload(bytes);
    const key = toHex(address);
    const entry = this.#entries.get(key);
    const head = planPublish(entry?.head, entry?.oneTime.length ?? 0, upload, this.maxOneTime);
    const oneTime = [...(entry?.oneTime ?? []), ...upload.oneTimePrekeys];
    this.#entries.set(key, { head, oneTime });
    return { address, oneTimeCount: oneTime.length };
  }

  take(address: Uint8Array): Uint8Array {
    this.#check();
    checkAddress(address);
    const entry = this.#entries.get(toHex(address));
    if (entry === undefined) throw new ServiceError('NOT_FOUND', 'no prekeys are published for this address');
    return bundleOf(entry.head, entry.oneTime.shift());
  }

  oneTimeCount(address: Uint8Array): number {
    this.#check();
    checkAddress(address);
    return this.#entries.get(toHex(address))?.oneTime.length ?? 0;
  }

  close(): void {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw new ServiceError('CLOSED', 'prekey directory is closed');
  }
}
