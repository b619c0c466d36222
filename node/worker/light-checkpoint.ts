/**
 * A light client's checkpoint on disk (LightClient.checkpoint / resume): JSON with hex fields, written to a
 * temporary file and renamed, so a power cut leaves the old checkpoint or the new one, never half of one. A node
 * resumes from it at boot instead of following every final header from the genesis again (a device that ran for
 * weeks would otherwise fetch and check thousands of headers before serving). A file that is missing, unreadable or
 * of another chain is not an error: the node starts from the genesis and says why.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromHex, toHex } from '../crypto/index.ts';
import { type GenesisConfig, type LightCheckpoint, LightClient } from '../ledger/index.ts';

export const LIGHT_CHECKPOINT_FILE = 'light-checkpoint.json';

export function saveLightCheckpoint(path: string, checkpoint: LightCheckpoint): void {
  const body = {
    chainId: toHex(checkpoint.chainId),
    height: checkpoint.height.toString(),
    hash: toHex(checkpoint.hash),
    stateRoot: toHex(checkpoint.stateRoot),
    managers: checkpoint.managers.map(toHex),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(body)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** The light client to follow with: resumed from `path` when it holds a checkpoint of this chain, else from the genesis. */
export function resumeLightClient(genesis: GenesisConfig, genesisRoot: Uint8Array, path: string): { light: LightClient; resumed: boolean; why?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { light: LightClient.fromGenesis(genesis, genesisRoot), resumed: false, why: 'no checkpoint yet' };
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const hex = (name: string, bytes?: number) => fromHex(String(raw[name]), name, bytes);
    if (!/^\d{1,20}$/.test(String(raw['height'])) || !Array.isArray(raw['managers'])) throw new Error('height or managers missing');
    const checkpoint: LightCheckpoint = {
      chainId: hex('chainId', 32),
      height: BigInt(String(raw['height'])),
      hash: hex('hash', 32),
      stateRoot: hex('stateRoot', 32),
      managers: (raw['managers'] as unknown[]).map((m) => fromHex(String(m), 'managers[]', 32)),
    };
    return { light: LightClient.resume(genesis, genesisRoot, checkpoint), resumed: checkpoint.height > 0n };
  } catch (error) {
    return { light: LightClient.fromGenesis(genesis, genesisRoot), resumed: false, why: `${path} not used: ${(error as Error).message}` };
  }
}
