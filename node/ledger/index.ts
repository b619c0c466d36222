/** The public API of node/ledger (docs/ledger.md). Other layers import from here. */
export { LEDGER_ERROR_CODES, LedgerError, type LedgerErrorCode } from './errors.ts';
export {
  defaultParams,
  demoParams,
  isParamName,
  PARAM_NAMES,
  type LedgerParams,
  type ParamName,
  validateParams,
  withParam,
} from './params.ts';
export {
  allocate,
  decodeGenesis,
  DISTRIBUTION,
  encodeGenesis,
  type GenesisConfig,
  genesisId,
  genesisStateRoot,
  validateGenesis,
  writeGenesis,
} from './genesis.ts';
export {
  genesisFromSecrets,
  newGenesisSecrets,
  newGenesisWallets,
  seedKey,
  seedWallet,
  type GenesisChoices,
  type GenesisSecrets,
  type GenesisWallets,
} from './genesis-secrets.ts';
export * as economics from './economics.ts';
export {
  addUptime,
  type Candidate,
  dayOf,
  nodeReputation,
  promotionShortfall,
  replacementCandidates,
  reputation,
  REPUTATION_AGE_DAYS,
  REPUTATION_FLOOR,
  REPUTATION_SCALE,
  type ReputationInputs,
  type Shortfall,
  uptimeIn,
} from './reputation.ts';
export {
  decodeTx,
  encodeTx,
  MAX_MANAGERS,
  TX_KINDS,
  txHash,
  txSigningBytes,
  type Tx,
  type TxBody,
  type TxKind,
  type TxSig,
  type UnsignedTx,
} from './tx.ts';
export {
  encodeSigned,
  signAccountTx,
  signGovernanceTx,
  signManagersTx,
  signManagerTx,
  txShare,
  type TxFields,
  unsignedTx,
  withSigs,
} from './tx-build.ts';
export {
  decodeAuthorization,
  decodeReceipt,
  encodeReceipt,
  type Receipt,
  type ReceiptFields,
  receiptSigningBytes,
  signReceipt,
  verifyReceipt,
} from './receipt.ts';
export { channelId } from './exec-channels.ts';
export { checkTx, type SignerClass, signerAddress, signerClassOf, txSignerClass } from './execute.ts';
export { checkGovernanceSigs, checkManagersSigs } from './signers.ts';
export {
  type CertificateKind,
  checkRecoveryEffect,
  isRecoveryCertificate,
  lastGovernanceReconfigure,
  type RecoveryKeys,
  recoveryEntry,
  signRecoveryCertificate,
  verifyBlockCertificate,
  verifyRecoveryCertificate,
} from './recovery.ts';
export { accountAt, spendable } from './exec-context.ts';
export {
  type Block,
  type BlockHeader,
  type BlockKind,
  type Certificate,
  certificateMessage,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  headerHash,
  quorum,
  txRoot,
  verifyCertificate,
} from './block.ts';
export { applyBlock, type BlockResult, ed25519Verify, type TxOutcome } from './apply-block.ts';
export { type BlockDraft, Ledger, type LedgerOptions } from './ledger.ts';
export { decodeWith, signerWith, TxMemo } from './tx-memo.ts';
export { type FollowExtras, type LightCheckpoint, LightClient } from './light.ts';
export { checkInvariants, supplyReport, type SupplyReport } from './invariants.ts';
export { StateView, type StoreLine } from './state.ts';
export { RecordCache } from './record-cache.ts';
export { stateKey, accountPath, nodePath, channelPath, META_PATHS } from './state-keys.ts';
export {
  type AccountRecord,
  type ChannelRecord,
  type ChannelScore,
  MAX_UPTIME_DAYS,
  newReputation,
  type NodeRecord,
  type PreviousManagersRecord,
  type Reputation,
  type Role,
  type UptimeDay,
} from './records.ts';
