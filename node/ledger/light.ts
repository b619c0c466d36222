/**
 * A light client (SPEC §7): follows final block headers from a genesis it trusts, checking each header's
 * parent link and its certificate against the manager set of the previous verified state, and reads its
 * balance with a store proof against the latest header's state root. A changed manager set is taken only with
 * a proof of the managers record against a verified root.
 */
import { bytesEqual } from '../crypto/index.ts';
import { type Proof, verifyProof } from '../store/index.ts';
import { ed25519Verify } from './apply-block.ts';
import { type BlockHeader, type Certificate, headerHash, verifyCertificate } from './block.ts';
import { LedgerError } from './errors.ts';
import { type AccountRecord, decodeRecord, type ManagersRecord } from './records.ts';
import { accountPath, META_PATHS, stateKey } from './state-keys.ts';

export class LightClient {
  #hash: Uint8Array;
  #height: bigint;
  #root: Uint8Array;
  #managers: readonly Uint8Array[];

  /** From a trusted genesis: its id, its state root and its manager keys. */
  constructor(chainId: Uint8Array, genesisRoot: Uint8Array, managers: readonly Uint8Array[]) {
    this.#hash = chainId;
    this.#height = 0n;
    this.#root = genesisRoot;
    this.#managers = managers;
  }

  get height(): bigint {
    return this.#height;
  }
  get stateRoot(): Uint8Array {
    return this.#root;
  }

  /** Accepts the next final header; BAD_BLOCK for a broken link, BAD_CERTIFICATE for a bad certificate. */
  follow(header: BlockHeader, certificate: Certificate): void {
    if (header.kind === 'tentative') throw new LedgerError('BAD_BLOCK', 'light clients follow final headers', { field: 'header.kind' });
    if (header.height !== this.#height + 1n) throw new LedgerError('BAD_BLOCK', `expected height ${this.#height + 1n}`, { field: 'header.height' });
    if (!bytesEqual(header.prevHash, this.#hash)) throw new LedgerError('BAD_BLOCK', 'does not extend the verified head', { field: 'header.prevHash' });
    const hash = headerHash(header);
    verifyCertificate(hash, certificate, this.#managers, ed25519Verify);
    this.#hash = hash;
    this.#height = header.height;
    this.#root = header.stateRoot;
  }

  /** Adopts the manager set proven against the verified state root. */
  updateManagers(proof: Proof | Uint8Array): void {
    const record = this.#read(META_PATHS.managers, proof);
    if (record === undefined || record.t !== 'managers') throw new LedgerError('STATE', 'no managers record in the proof');
    this.#managers = (record as ManagersRecord).keys;
  }

  /** An account as proven against the verified root (undefined: proven absent). */
  account(address: string, proof: Proof | Uint8Array): AccountRecord | undefined {
    const record = this.#read(accountPath(address), proof);
    if (record !== undefined && record.t !== 'account') throw new LedgerError('STATE', 'not an account record');
    return record;
  }

  #read(path: string, proof: Proof | Uint8Array): ReturnType<typeof decodeRecord> | undefined {
    let result;
    try {
      result = verifyProof(this.#root, stateKey(path), proof);
    } catch (cause) {
      throw new LedgerError('BAD_PROOF', `proof does not lead to the verified root: ${(cause as Error).message}`, { cause });
    }
    return result.found ? decodeRecord(result.value) : undefined;
  }
}
