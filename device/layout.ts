/**
 * Where the agent keeps things. Everything lives under the data dir except the first-boot file; the wallet has a
 * directory of its own so a factory reset can wipe everything else and keep it (SPEC.md §9).
 *
 *   <dataDir>/config.json           the owner's config file (a config layer)
 *   <dataDir>/agent/running         present while the agent runs: found at boot, it means an unclean stop
 *   <dataDir>/agent/desired.json    the fleet's last accepted desired state (a config layer)
 *   <dataDir>/agent/last-good.json  the last config built from valid layers (used when a layer is refused at boot)
 *   <dataDir>/identity/node.key     the node identity: Ed25519 seed in hex, mode 0600
 *   <dataDir>/wallet/wallet.json    the device's own wallet keystore, mode 0600 (kept by a factory reset)
 *   <dataDir>/node/                 the node runtime's data (databases)
 *   <dataDir>/.reset-pending        written before a factory reset wipes anything, removed when it is done
 *   <bootDir>/ame.json              the first-boot file (a config layer); never written by the agent
 */
import { join } from 'node:path';

export const BOOT_FILE = 'ame.json';
export const WALLET_DIR = 'wallet';

export interface DeviceLayout {
  readonly dataDir: string;
  readonly configFile: string;
  readonly agentDir: string;
  readonly runningMarker: string;
  readonly desiredFile: string;
  readonly lastGoodFile: string;
  readonly identityDir: string;
  readonly nodeKeyFile: string;
  readonly walletDir: string;
  readonly walletFile: string;
  readonly nodeDir: string;
  readonly resetMarker: string;
}

export function deviceLayout(dataDir: string): DeviceLayout {
  const agentDir = join(dataDir, 'agent');
  const identityDir = join(dataDir, 'identity');
  const walletDir = join(dataDir, WALLET_DIR);
  return {
    dataDir,
    configFile: join(dataDir, 'config.json'),
    agentDir,
    runningMarker: join(agentDir, 'running'),
    desiredFile: join(agentDir, 'desired.json'),
    lastGoodFile: join(agentDir, 'last-good.json'),
    identityDir,
    nodeKeyFile: join(identityDir, 'node.key'),
    walletDir,
    walletFile: join(walletDir, 'wallet.json'),
    nodeDir: join(dataDir, 'node'),
    resetMarker: join(dataDir, '.reset-pending'),
  };
}

export function bootFilePath(bootDir: string): string {
  return join(bootDir, BOOT_FILE);
}
