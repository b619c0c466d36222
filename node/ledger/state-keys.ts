/**
 * Where ledger state lives in the store: every record under a 32-byte key = SHA-256 of a domain tag and a typed
 * path (docs/ledger.md "State layout"). Paths are text so that the layout reads like a table of contents.
 */
import { domainSeparated, sha256, toHex, utf8 } from '../crypto/index.ts';

export const STATE_KEY_TAG = 'AME-LEDGER-KEY-v1';

export function stateKey(path: string): Uint8Array {
  return sha256(domainSeparated(STATE_KEY_TAG, utf8(path)));
}

export const accountPath = (address: string): string => `account/${address}`;
export const nodePath = (nodeKey: Uint8Array): string => `node/${toHex(nodeKey)}`;
export const channelPath = (id: Uint8Array): string => `channel/${toHex(id)}`;

/** Singleton records. */
export const META_PATHS = {
  chain: 'meta/chain',
  pools: 'meta/pools',
  totals: 'meta/totals',
  params: 'meta/params',
  governance: 'meta/governance',
  managers: 'meta/managers',
  previousManagers: 'meta/previous-managers',
  ring: 'meta/ring',
} as const;
