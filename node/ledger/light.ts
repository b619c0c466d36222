/**
 * A light client (SPEC §7): follows final block headers from a genesis it trusts, checking each header's
 * parent link and its certificate against the manager set of the previous verified state, and reads its
 * balance with a store proof against the latest header's state root. A changed manager set is taken only with
 * a proof of the managers record against a verified root.
 *
 * Recovery (docs/ledger.md "Certificates"): with the genesis governance keys (`fromGenesis`, or the fourth
 * constructor argument) the client also takes a header under a recovery certificate, given the block's
 * transactions (which must hold a governance-signed reconfigure, signed by a threshold of those keys, whose root
 * is the header's txRoot) and a proof that the managers record after the block is the set that transaction names;
 * it then follows that set.
 */
import { bytesEqual } from '../crypto/index.ts';
import { type Proof, verifyProof } from '../store/index.ts';
import { type BlockHeader, type Certificate, ed25519Verify, headerHash, txRoot, verifyCertificate } from './block.ts';
import { LedgerError } from './errors.ts';
import { type GenesisConfig, genesisId } from './genesis.ts';
import { type AccountRecord, decodeRecord, type ManagersRecord } from './records.ts';
import { isRecoveryCertificate, type RecoveryKeys, requireGovernanceReconfigure, verifyRecoveryCertificate } from './recovery.ts';
import { checkGovernanceSigs } from './signers.ts';
import { accountPath, META_PATHS, stateKey } from './state-keys.ts';
import { txHash, txSigningBytes } from './tx.ts';

/** What `follow` may need beyond the header and its certificate. */
export interface FollowExtras {
  /** The block's encoded transactions: required under a recovery certificate. */
  readonly txs?: readonly Uint8Array[];
  /**
   * A proof of `meta/managers` against this header's state root: the set to follow from now on. Required under a
   * recovery certificate; give it after any block that changed the manager set.
   */
  readonly managers?: Proof | Uint8Array;
}

/**
 * What a light client has verified — the last final header it took and the manager set that checks the next — so
 * that its holder resumes there after a restart instead of following every header from the genesis again. It is the
 * holder's own record, trusted as much as the rest of its data folder.
 */
export interface LightCheckpoint {
  readonly chainId: Uint8Array;
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly managers: readonly Uint8Array[];
}

export class LightClient {
  readonly #chainId: Uint8Array;
  readonly #recovery: RecoveryKeys | undefined;
  #hash: Uint8Array;
  #height: bigint;
  #root: Uint8Array;
  #managers: readonly Uint8Array[];

  /**
   * From a trusted genesis: its id, its state root, its manager keys and (to accept recovery certificates) its
   * governance keys with their threshold.
   */
  constructor(chainId: Uint8Array, genesisRoot: Uint8Array, managers: readonly Uint8Array[], recovery?: RecoveryKeys) {
    this.#chainId = chainId;
    this.#recovery = recovery;
    this.#hash = chainId;
    this.#height = 0n;
    this.#root = genesisRoot;
    this.#managers = managers;
  }

  /** From a trusted genesis configuration and the state root `writeGenesis` gives for it. */
  static fromGenesis(config: GenesisConfig, genesisRoot: Uint8Array): LightClient {
    return new LightClient(genesisId(config), genesisRoot, config.managers.map((m) => m.key), config.governance);
  }

  /**
   * From a trusted genesis, resumed at `checkpoint` (what `checkpoint()` gave before a restart); WRONG_CHAIN for a
   * checkpoint of another chain, BAD_FIELD for one that cannot be a verified head.
   */
  static resume(config: GenesisConfig, genesisRoot: Uint8Array, checkpoint: LightCheckpoint): LightClient {
    const client = LightClient.fromGenesis(config, genesisRoot);
    if (!bytesEqual(checkpoint.chainId, client.#chainId)) throw new LedgerError('WRONG_CHAIN', 'a checkpoint of another chain', { field: 'checkpoint.chainId' });
    if (checkpoint.height < 0n || checkpoint.hash.length !== 32 || checkpoint.stateRoot.length !== 32 || checkpoint.managers.length === 0) {
      throw new LedgerError('BAD_FIELD', 'not a verified head: height, 32-byte hash and state root and a manager set are needed', { field: 'checkpoint' });
    }
    if (checkpoint.height === 0n) return client;
    client.#hash = checkpoint.hash;
    client.#height = checkpoint.height;
    client.#root = checkpoint.stateRoot;
    client.#managers = checkpoint.managers;
    return client;
  }

  /** The verified head to resume from (LightClient.resume). */
  checkpoint(): LightCheckpoint {
    return { chainId: this.#chainId, height: this.#height, hash: this.#hash, stateRoot: this.#root, managers: this.#managers };
  }

  get height(): bigint {
    return this.#height;
  }
  get stateRoot(): Uint8Array {
    return this.#root;
  }
  /** The manager set the next header's certificate is checked against. */
  get managers(): readonly Uint8Array[] {
    return this.#managers;
  }

  /**
   * Accepts the next final header; BAD_BLOCK for a broken link, WRONG_CHAIN for another chain's header,
   * BAD_CERTIFICATE for a bad certificate (or a recovery certificate without its reconfigure), BAD_PROOF / STATE
   * for a managers proof that does not hold. Nothing changes unless everything holds.
   */
  follow(header: BlockHeader, certificate: Certificate, extras: FollowExtras = {}): void {
    if (header.kind === 'tentative') throw new LedgerError('BAD_BLOCK', 'light clients follow final headers', { field: 'header.kind' });
    if (!bytesEqual(header.chain, this.#chainId)) throw new LedgerError('WRONG_CHAIN', 'header of another chain', { field: 'header.chain' });
    if (header.height !== this.#height + 1n) throw new LedgerError('BAD_BLOCK', `expected height ${this.#height + 1n}`, { field: 'header.height' });
    if (!bytesEqual(header.prevHash, this.#hash)) throw new LedgerError('BAD_BLOCK', 'does not extend the verified head', { field: 'header.prevHash' });
    const hash = headerHash(header);
    let managers = this.#managers;
    if (isRecoveryCertificate(certificate, this.#recovery)) {
      managers = this.#checkRecovery(header, hash, certificate, extras);
    } else {
      verifyCertificate(hash, certificate, this.#managers, ed25519Verify);
      if (extras.managers !== undefined) managers = this.#managersAt(header.stateRoot, extras.managers);
    }
    this.#hash = hash;
    this.#height = header.height;
    this.#root = header.stateRoot;
    this.#managers = managers;
  }

  /** The checks of a recovery-certified header; returns the set to follow after it. */
  #checkRecovery(header: BlockHeader, hash: Uint8Array, certificate: Certificate, extras: FollowExtras): readonly Uint8Array[] {
    const recovery = this.#recovery!;
    const { txs, managers: proof } = extras;
    if (txs === undefined || proof === undefined) {
      throw new LedgerError('BAD_CERTIFICATE', "a recovery certificate is taken with the block's transactions and a managers proof", {
        field: 'certificate',
      });
    }
    verifyRecoveryCertificate(hash, certificate, recovery);
    if (!bytesEqual(txRoot(txs.map(txHash)), header.txRoot)) {
      throw new LedgerError('BAD_BLOCK', "the transactions are not the header's", { field: 'header.txRoot' });
    }
    const { index, tx } = requireGovernanceReconfigure(txs);
    try {
      if (!bytesEqual(tx.chain, this.#chainId)) throw new LedgerError('WRONG_CHAIN', 'made for another chain', { field: 'chain' });
      checkGovernanceSigs(recovery, txSigningBytes(tx), tx.sigs);
    } catch (cause) {
      const message = `the reconfigure is not the governance keys': ${(cause as Error).message}`;
      throw new LedgerError('BAD_CERTIFICATE', message, { field: `txs[${index}]`, cause });
    }
    const after = this.#managersAt(header.stateRoot, proof);
    const named = tx.body.managers.map((m) => m.key);
    if (named.length !== after.length || named.some((key, i) => !bytesEqual(key, after[i]!))) {
      throw new LedgerError('BAD_CERTIFICATE', 'the recovery block did not install the set its governance reconfigure names', {
        field: `txs[${index}]`,
      });
    }
    return after;
  }

  /** Adopts the manager set proven against the verified state root. */
  updateManagers(proof: Proof | Uint8Array): void {
    this.#managers = this.#managersAt(this.#root, proof);
  }

  /** An account as proven against the verified root (undefined: proven absent). */
  account(address: string, proof: Proof | Uint8Array): AccountRecord | undefined {
    const record = this.#read(this.#root, accountPath(address), proof);
    if (record !== undefined && record.t !== 'account') throw new LedgerError('STATE', 'not an account record');
    return record;
  }

  #managersAt(root: Uint8Array, proof: Proof | Uint8Array): readonly Uint8Array[] {
    const record = this.#read(root, META_PATHS.managers, proof);
    if (record === undefined || record.t !== 'managers') throw new LedgerError('STATE', 'no managers record in the proof');
    return (record as ManagersRecord).keys;
  }

  #read(root: Uint8Array, path: string, proof: Proof | Uint8Array): ReturnType<typeof decodeRecord> | undefined {
    let result;
    try {
      result = verifyProof(root, stateKey(path), proof);
    } catch (cause) {
      throw new LedgerError('BAD_PROOF', `proof does not lead to the verified root: ${(cause as Error).message}`, { cause });
    }
    return result.found ? decodeRecord(result.value) : undefined;
  }
}
