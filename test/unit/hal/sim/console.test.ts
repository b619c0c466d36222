import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { HalError } from '../../../../hal/errors.ts';
import { createSimConsole, type SimConsole } from '../../../../hal/sim/console.ts';
import { nextLines, openTerminal } from '../serial-terminal.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('sim console: a pseudo-terminal a user opens like a serial port', () => {
  it('round trip: the user types a command, the device answers', async () => {
    const console: SimConsole = createSimConsole();
    await console.start();
    cleanup.push(() => console.stop());
    expect(console.kind).toBe('sim');
    expect(console.terminalPath()).toMatch(/^\/dev\/pts\/\d+$/);
    const terminal = await openTerminal(console.terminalPath());
    cleanup.push(() => terminal.close());

    // A tiny command loop, as the device agent will run one.
    console.onLine((line) => void console.writeLine(line === 'status' ? 'state: serving' : `unknown command: ${line}`));
    await terminal.send('status\r');
    await terminal.expect(/state: serving\r\n/);
    await terminal.send('reboot now\r');
    await terminal.expect(/unknown command: reboot now\r\n/);
    // Echo first, then the answer, as on a real serial console.
    expect(terminal.received()).toBe('status\r\nstate: serving\r\nreboot now\r\nunknown command: reboot now\r\n');
  });

  it('the terminal can close and reopen without the device side hanging up', async () => {
    const console = createSimConsole({ echo: false });
    await console.start();
    cleanup.push(() => console.stop());
    const first = await openTerminal(console.terminalPath());
    // The line travels through the relay asynchronously: wait for it before the terminal closes.
    const firstLines = nextLines(console, 1);
    await first.send('one\r');
    expect(await firstLines).toEqual(['one']);
    await first.close();
    const second = await openTerminal(console.terminalPath());
    cleanup.push(() => second.close());
    const lines = nextLines(console, 1);
    await second.send('two\r');
    expect(await lines).toEqual(['two']);
  });

  it('stop() ends the helper: the pty disappears', async () => {
    const console = createSimConsole();
    await console.start();
    const path = console.terminalPath();
    expect(existsSync(path)).toBe(true);
    await console.stop();
    expect(existsSync(path)).toBe(false);
    expect(() => console.terminalPath()).toThrow(HalError);
  });

  it('without python3 the console fails to start with PTY_UNAVAILABLE (createHal turns that into a warning)', async () => {
    const console = createSimConsole({ python: '/nonexistent/python3' });
    await expect(console.start()).rejects.toMatchObject({ code: 'PTY_UNAVAILABLE' });
  });
});
