/** The first ring map: N Unities over equal ranges of the key space, the genesis servers dealt out in order. */
import { RingError } from './errors.ts';
import { keyFromBigInt, KEY_SPACE } from './keyspace.ts';
import {
  DEFAULT_RING_PARAMS,
  unityIdFor,
  validateMap,
  type RingMap,
  type RingParams,
  type ServerEntry,
} from './map.ts';

export interface GenesisOptions {
  /** N, the number of Unities. */
  readonly unities: number;
  /** Dealt out in this order: Unity 0 gets the first ones. */
  readonly servers: readonly ServerEntry[];
  /** When given, `servers` must hold exactly unities × serversPerUnity entries; otherwise they are spread evenly. */
  readonly serversPerUnity?: number;
  readonly params?: Partial<RingParams>;
  readonly epoch?: bigint;
}

/** Unity i starts at ⌊i · 2^256 / N⌋. Throws BAD_MAP for a count or server list the map cannot hold. */
export function genesisMap(options: GenesisOptions): RingMap {
  const n = options.unities;
  if (!Number.isSafeInteger(n) || n < 1) throw new RingError('BAD_MAP', `genesis needs at least one Unity, got ${n}`);
  const total = options.servers.length;
  const per = options.serversPerUnity;
  if (per !== undefined && total !== n * per) {
    throw new RingError('BAD_MAP', `${n} Unities of ${per} servers need ${n * per} servers, got ${total}`);
  }
  const unities = Array.from({ length: n }, (_, i) => {
    const start = keyFromBigInt((BigInt(i) * KEY_SPACE) / BigInt(n));
    const from = Math.floor((i * total) / n);
    const to = Math.floor(((i + 1) * total) / n);
    return { id: unityIdFor(start), start, servers: options.servers.slice(from, to), guests: [], workers: [] };
  });
  return validateMap({
    epoch: options.epoch ?? 0n,
    params: { ...DEFAULT_RING_PARAMS, ...options.params },
    unities,
  });
}
