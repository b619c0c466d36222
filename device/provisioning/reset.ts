/**
 * Factory reset (SPEC.md §9): wipes the config, the data and the node identity, and keeps the wallet keystore —
 * and so the payout account — unless the owner asked for the wallet too (console `factory-reset --wipe-wallet`).
 *
 * A registered node first files its graceful exit (`beforeReset`), so a reset never costs its deposit; if that
 * fails nothing is wiped. Then a marker records the reset before the first file goes: a power cut half-way leaves
 * the marker, and the next boot finishes the job (finishPendingReset) instead of running on half a data dir.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../../node/client/json-file.ts';
import { DeviceError, describeError } from '../errors.ts';
import type { DeviceLayout } from '../layout.ts';

export interface FactoryResetOptions {
  readonly layout: DeviceLayout;
  /** Also wipe the device's wallet keystore (its funds are lost unless its phrase was written down). */
  readonly wipeWallet: boolean;
  /** Runs before anything is wiped: the agent files the node's graceful exit and stops the runtime here. */
  readonly beforeReset?: () => Promise<void>;
  readonly logger?: Logger;
}

export interface ResetOutcome {
  /** The top-level entries of the data dir that were removed. */
  readonly wiped: readonly string[];
  readonly keptWallet: boolean;
}

export async function factoryReset(options: FactoryResetOptions): Promise<ResetOutcome> {
  const { layout, logger } = options;
  if (options.beforeReset) {
    try {
      await options.beforeReset();
    } catch (cause) {
      throw new DeviceError('RESET_FAILED', `the graceful exit failed, so nothing was wiped (${describeError(cause)})`, { field: 'beforeReset', cause });
    }
  }
  try {
    writeFileAtomic(layout.resetMarker, `${JSON.stringify({ wipeWallet: options.wipeWallet })}\n`, 0o600);
  } catch (cause) {
    throw new DeviceError('RESET_FAILED', `the reset cannot be recorded, so nothing was wiped (${describeError(cause)})`, {
      field: layout.resetMarker,
      cause,
    });
  }
  const outcome = finishPendingReset(layout)!;
  logger?.warn({ wiped: outcome.wiped, keptWallet: outcome.keptWallet }, 'factory reset done');
  return outcome;
}

/** Completes a reset a power cut interrupted; null when none is pending. RESET_FAILED leaves the marker for a retry. */
export function finishPendingReset(layout: DeviceLayout): ResetOutcome | null {
  if (!existsSync(layout.resetMarker)) return null;
  let wipeWallet: boolean;
  try {
    wipeWallet = (JSON.parse(readFileSync(layout.resetMarker, 'utf8')) as { wipeWallet?: unknown }).wipeWallet === true;
  } catch {
    // A marker torn by the power cut: keeping the wallet is the choice that loses nothing.
    wipeWallet = false;
  }
  const keep = new Set([basename(layout.resetMarker), ...(wipeWallet ? [] : [basename(layout.walletDir)])]);
  const wiped: string[] = [];
  try {
    for (const entry of readdirSync(layout.dataDir).sort()) {
      if (keep.has(entry)) continue;
      rmSync(join(layout.dataDir, entry), { recursive: true, force: true });
      wiped.push(entry);
    }
    rmSync(layout.resetMarker, { force: true });
  } catch (cause) {
    throw new DeviceError('RESET_FAILED', `wiping the data dir failed (${describeError(cause)}); the next boot retries`, {
      field: layout.dataDir,
      cause,
    });
  }
  return { wiped, keptWallet: !wipeWallet };
}
