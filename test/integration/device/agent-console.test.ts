/**
 * The serial console (Done-when #1): the commands answer over a real pseudo-terminal, opened with serialport as a
 * user's terminal would open the UART. The relay between the two ptys is asynchronous, so every step waits for
 * the line it expects; then the exact text since the command was typed (its echo and the reply) is compared.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_PATTERNS } from '../../../hal/index.ts';
import { wipeConfirmationFor } from '../../../device/index.ts';
import { openTerminal, type Terminal } from '../../unit/hal/serial-terminal.ts';
import { createDeviceRig, makeDeviceDirs, type DeviceDirs, type DeviceRig } from '../../support/device-rig.ts';
import type { SimConsole } from '../../../hal/index.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function consoleRig(): Promise<{ r: DeviceRig; d: DeviceDirs; term: Terminal; reboots: string[] }> {
  const d = makeDeviceDirs();
  cleanup.push(() => d.remove());
  const reboots: string[] = [];
  const r = createDeviceRig(d, { console: true, reboot: async () => void reboots.push('reboot') });
  cleanup.push(() => r.stop());
  const up = r.agent.whenState('serving');
  await r.agent.start();
  await up;
  const term = await openTerminal((r.hal.console as SimConsole).terminalPath());
  cleanup.push(() => term.close());
  return { r, d, term, reboots };
}

/** Types `command`, waits for `last` (the reply's last line), and returns everything received since typing. */
async function ask(term: Terminal, command: string, last: RegExp): Promise<string> {
  const from = term.received().length;
  await term.send(`${command}\r`);
  const escaped = command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await term.expect(new RegExp(`${escaped}\\r\\n[\\s\\S]*${last.source}`));
  return term.received().slice(from);
}

describe('device agent: serial console over a pseudo-terminal', () => {
  it('status, wallet, earnings, logs and reboot answer from the agent and its node', async () => {
    const { r, term, reboots } = await consoleRig();
    const status = await r.agent.status();
    const peer = status.peerId!;
    const payout = status.payout!.address;

    expect(await ask(term, 'status', /health: ok\r\n/)).toBe(
      [
        'status',
        'state: serving',
        `peer: ${peer}`,
        'role: temporary-worker',
        `payout: ${payout} (device wallet)`,
        'registered: yes',
        'promoted: no',
        'peers: 3',
        'health: ok',
        '',
      ].join('\r\n'),
    );

    r.runtimes.current().set({ balance: { unit: 'ABC', micro: 12_500_000n } });
    expect(await ask(term, 'wallet', /balance: .*\r\n/)).toBe(
      ['wallet', `payout: ${payout} (device wallet)`, `device wallet: ${payout} (ecdsa, plain keystore, created 2025-01-02T03:04:05.000Z)`, 'balance: 12.5 ABC', ''].join('\r\n'),
    );

    r.runtimes.current().set({
      earnings: { servedRequests: 42, receiptsHeld: 3, unsettled: { unit: 'ABC', micro: 250_000n }, settled: { unit: 'ABC', micro: 7_000_000n } },
    });
    expect(await ask(term, 'earnings', /settled: 7 ABC\r\n/)).toBe(
      ['earnings', 'requests served: 42', 'receipts held: 3', 'unsettled: 0.25 ABC', 'settled: 7 ABC', ''].join('\r\n'),
    );

    const logs = await ask(term, 'logs 3', /state: serving\r\n/);
    expect(logs).toBe(
      ['logs 3', '2025-01-02T03:04:05.000Z info  state: connecting', '2025-01-02T03:04:05.000Z info  state: registering', '2025-01-02T03:04:05.000Z info  state: serving', ''].join(
        '\r\n',
      ),
    );

    expect(await ask(term, 'reboot', /rebooting\r\n/)).toBe('reboot\r\nrebooting\r\n');
    // Lines are handled in order: once the next one is answered, the reboot was asked for.
    expect(await ask(term, 'fly', /type help\r\n/)).toBe('fly\r\nunknown command "fly": type help\r\n');
    expect(reboots).toEqual(['reboot']);
  });

  it('factory-reset keeps the wallet; --wipe-wallet erases it only after the typed confirmation', async () => {
    const { r, d, term } = await consoleRig();
    const walletBytes = readFileSync(d.layout.walletFile);
    const address = (await r.agent.status()).payout!.address;

    const servingAgain = r.nextState('serving');
    const reset = await ask(term, 'factory-reset', /starting again\r\n/);
    expect(reset).toBe(
      [
        'factory-reset',
        'factory reset: wiping config, data and node identity (the wallet is kept)…',
        'factory reset done: wiped agent, identity, node; wallet kept; starting again',
        '',
      ].join('\r\n'),
    );
    await servingAgain;
    expect(readFileSync(d.layout.walletFile)).toEqual(walletBytes);
    expect(r.runtimes.calls).toEqual(['connect', 'register', 'serve', 'gracefulExit', 'stop', 'connect', 'register', 'serve']);

    // A wrong confirmation wipes nothing.
    const asked = await ask(term, 'factory-reset --wipe-wallet', /anything else cancels:\r\n/);
    expect(asked).toContain(`This also erases the wallet keystore of ${address}.`);
    expect(asked).toContain(`Type "${wipeConfirmationFor(address)}" to confirm`);
    expect(await ask(term, 'erase', /nothing was wiped\r\n/)).toBe('erase\r\nnot confirmed: nothing was wiped\r\n');
    expect(existsSync(d.layout.walletFile)).toBe(true);

    // The right one does: the next boot makes a new wallet, so the payout account changes.
    const servingThird = r.nextState('serving');
    await ask(term, 'factory-reset --wipe-wallet', /anything else cancels:\r\n/);
    const wiped = await ask(term, wipeConfirmationFor(address), /starting again\r\n/);
    expect(wiped).toContain('factory reset done: wiped agent, identity, node, wallet; wallet erased; starting again');
    await servingThird;
    const after = await r.agent.status();
    expect(after.payout!.address).not.toBe(address);
    expect(r.hal.led.pattern()).toBe(STATE_PATTERNS.serving);
  });
});
