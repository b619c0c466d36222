/**
 * The Worker Ring as blob replication sees it: parts put and got by key. Composed over a RingClient (servers use
 * their own, a temporary worker one that routes from entry servers); tests may pass a map. The ring replicates a
 * part on min(5, servers) servers of the Unity owning its key and moves it on a split or merge (docs/ring.md), so
 * a part put once stays reachable while the worker that put it comes and goes.
 */
import type { RingClient } from '../../ring/service/client.ts';
import { encodeRingValue, peekRingValue, type ValueSchemes } from '../../ring/service/value.ts';
import { BLOB_PART_SCHEME, checkBlobPart } from '../../services/blobs/index.ts';

/** What a ring server that holds blob parts is configured with: every replica checks a part before storing it. */
export const BLOB_SCHEMES: ValueSchemes = {
  [BLOB_PART_SCHEME]: (key, data) => {
    checkBlobPart(key, data);
  },
};

export interface PartStore {
  /** Resolves once a majority of the key's replicas hold the part durably. */
  put(key: Uint8Array, part: Uint8Array): Promise<void>;
  /** The part's bytes (unchecked: the caller checks them), or undefined when no replica holds the key. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
}

export function ringPartStore(client: Pick<RingClient, 'get' | 'put'>): PartStore {
  return {
    async put(key, part) {
      await client.put(key, encodeRingValue({ kind: 'checked', scheme: BLOB_PART_SCHEME, data: part }));
    },
    async get(key) {
      const { result } = await client.get(key);
      if (result === undefined) return undefined;
      const value = peekRingValue(result);
      return value.kind === 'checked' && value.scheme === BLOB_PART_SCHEME ? value.data : undefined;
    },
  };
}
