/** First-boot provisioning and factory reset (docs/device.md "Provisioning and reset"). */
export { createNodeIdentity, createWallet, readNodeIdentity, readWalletPublic, type NodeIdentity } from './identity.ts';
export { isFirstBoot, provision, type PayoutAccount, type Provisioned, type ProvisionOptions } from './provision.ts';
export { factoryReset, finishPendingReset, type FactoryResetOptions, type ResetOutcome } from './reset.ts';
