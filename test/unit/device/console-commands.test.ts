import { describe, expect, it } from 'vitest';
import type { ConsolePort } from '../../../hal/index.ts';
import { createConsoleSession, HELP_LINES, wipeConfirmationFor, type ConsoleBackend } from '../../../device/index.ts';

/** A console in memory: type() delivers a line, written holds what the device wrote. */
function memoryConsole() {
  const listeners = new Set<(line: string) => void>();
  const written: string[] = [];
  const port: ConsolePort = {
    kind: 'sim',
    path: null,
    start: async () => {},
    stop: async () => {},
    onLine: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    writeLine: async (text) => {
      written.push(text);
    },
  };
  return { port, written, type: (line: string) => [...listeners].forEach((l) => l(line)) };
}

const ADDRESS = 'AQ5Wn8iY1wSmXGJ2eE1PU4shpx1NZcDhEa';

function backend(overrides: Partial<ConsoleBackend> = {}) {
  const calls: string[] = [];
  const b: ConsoleBackend = {
    status: async () => ['state: serving'],
    wallet: async () => [`payout: ${ADDRESS}`],
    earnings: async () => ['requests served: 7'],
    logs: (n) => Array.from({ length: Math.min(n, 3) }, (_, i) => `event ${i}`),
    canReboot: () => true,
    reboot: async () => {
      calls.push('reboot');
    },
    factoryReset: async (wipeWallet) => {
      calls.push(`reset wipeWallet=${wipeWallet}`);
      return ['factory reset done'];
    },
    walletAddress: () => ADDRESS,
    ...overrides,
  };
  return { b, calls };
}

async function session(b: ConsoleBackend) {
  const c = memoryConsole();
  const s = createConsoleSession({ console: c.port, backend: b });
  await s.start();
  c.written.splice(0);
  const say = async (line: string) => {
    c.type(line);
    await s.idle();
    return c.written.splice(0);
  };
  return { say, c, s };
}

describe('console commands', () => {
  it('answers status, wallet, earnings, logs and help from the backend', async () => {
    const { say } = await session(backend().b);
    expect(await say('status')).toEqual(['state: serving']);
    expect(await say('  wallet ')).toEqual([`payout: ${ADDRESS}`]);
    expect(await say('earnings')).toEqual(['requests served: 7']);
    expect(await say('logs 2')).toEqual(['event 0', 'event 1']);
    expect(await say('logs')).toEqual(['event 0', 'event 1', 'event 2']);
    expect(await say('logs 0')).toEqual(['usage: logs [n], n from 1 to 200']);
    expect(await say('help')).toEqual(HELP_LINES);
    expect(await say('')).toEqual([]);
    expect(await say('shutdown')).toEqual(['unknown command "shutdown": type help']);
  });

  it('reboot and factory-reset call the backend; factory-reset keeps the wallet', async () => {
    const { b, calls } = backend();
    const { say } = await session(b);
    expect(await say('reboot')).toEqual(['rebooting']);
    expect(await say('factory-reset')).toEqual(['factory reset: wiping config, data and node identity (the wallet is kept)…', 'factory reset done']);
    expect(await say('factory-reset --everything')).toEqual(['usage: factory-reset [--wipe-wallet]']);
    expect(calls).toEqual(['reboot', 'reset wipeWallet=false']);
  });

  it('--wipe-wallet asks for a typed confirmation naming the wallet; anything else cancels', async () => {
    const { b, calls } = backend();
    const { say } = await session(b);
    const asked = await say('factory-reset --wipe-wallet');
    expect(asked[0]).toContain(ADDRESS);
    expect(asked.at(-1)).toBe(`Type "${wipeConfirmationFor(ADDRESS)}" to confirm; anything else cancels:`);
    expect(wipeConfirmationFor(ADDRESS)).toBe(`erase ${ADDRESS.slice(-6)}`);
    expect(await say('yes')).toEqual(['not confirmed: nothing was wiped']);
    expect(calls).toEqual([]);
    // The confirmation is for one line only: typing it afterwards is just an unknown command.
    expect(await say(wipeConfirmationFor(ADDRESS))).toEqual(['unknown command "erase": type help']);
    await say('factory-reset --wipe-wallet');
    expect(await say(wipeConfirmationFor(ADDRESS))).toEqual(['factory reset: wiping config, data, node identity and the wallet…', 'factory reset done']);
    expect(calls).toEqual(['reset wipeWallet=true']);
  });

  it('reboot says so before asking the host (which may end the process), or that it cannot', async () => {
    const order: string[] = [];
    const c = memoryConsole();
    const b = backend({ reboot: async () => void order.push(`reboot after: ${c.written.join('|')}`) }).b;
    const s = createConsoleSession({ console: c.port, backend: b });
    await s.start();
    c.type('reboot');
    await s.idle();
    expect(order).toEqual(['reboot after: AME device console: type help|rebooting']);
    const { say } = await session(backend({ canReboot: () => false }).b);
    expect(await say('reboot')).toEqual(['reboot is not available on this host']);
  });

  it('--wipe-wallet without a device wallet says so and wipes nothing', async () => {
    const { b, calls } = backend({ walletAddress: () => null });
    const { say } = await session(b);
    expect((await say('factory-reset --wipe-wallet'))[0]).toBe('there is no wallet keystore on this device: use factory-reset');
    expect(calls).toEqual([]);
  });

  it('a backend failure is an error line, and the session goes on', async () => {
    const { say } = await session(backend({ status: () => Promise.reject(new Error('node gone')) }).b);
    expect(await say('status')).toEqual(['error: node gone']);
    expect(await say('earnings')).toEqual(['requests served: 7']);
  });

  it('lines are answered in order even when an answer is slow', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const { c, s } = await session(backend({ status: async () => (await slow, ['slow status']) }).b);
    c.type('status');
    c.type('earnings');
    release();
    await s.idle();
    expect(c.written).toEqual(['slow status', 'requests served: 7']);
  });
});
