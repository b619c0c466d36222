import { afterEach, describe, expect, it } from 'vitest';
import { HalError } from '../../../../hal/errors.ts';
import { createSerialConsole } from '../../../../hal/linux/console.ts';
import type { ConsolePort } from '../../../../hal/ports.ts';
import { openPtyPair, type PtyPair } from '../../../../hal/sim/pty-pair.ts';
import type { HalWarning } from '../../../../hal/warnings.ts';
import { nextLines, openTerminal, type Terminal } from '../serial-terminal.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A linked pty pair as the "cable": the adapter opens one end as its UART, the test's terminal the other. */
async function rig(options: { echo?: boolean; maxLineChars?: number } = {}) {
  const pair: PtyPair = await openPtyPair();
  cleanup.push(() => pair.close());
  const warnings: HalWarning[] = [];
  const console: ConsolePort = createSerialConsole({ path: pair.devicePath, report: (w) => warnings.push(w), ...options });
  await console.start();
  cleanup.push(() => console.stop());
  const terminal: Terminal = await openTerminal(pair.terminalPath);
  cleanup.push(() => terminal.close());
  return { console, terminal, warnings, pair };
}

describe('linux serial console over a real pseudo-terminal (serialport on both ends)', () => {
  it('delivers typed lines and writes lines back with CR LF', async () => {
    const { console, terminal } = await rig({ echo: false });
    const lines = nextLines(console, 2);
    await terminal.send('status\r');
    await terminal.send('wallet\r\n');
    expect(await lines).toEqual(['status', 'wallet']);
    await console.writeLine('state: serving\nrole: device');
    expect(await terminal.expect(/role: device\r\n/)).toBe('state: serving\r\nrole: device\r\n');
  });

  it('echoes what the user types, backspace included, so a plain terminal shows it', async () => {
    const { console, terminal } = await rig();
    const lines = nextLines(console, 1);
    await terminal.send('stx\x7fatus\r');
    expect(await lines).toEqual(['status']);
    await terminal.expect(/\r\n$/);
    expect(terminal.received()).toBe('stx\b \batus\r\n');
  });

  it('reports a discarded over-long line as a CONSOLE_FAULT warning and keeps working', async () => {
    const { console, terminal, warnings } = await rig({ echo: false, maxLineChars: 16 });
    const lines = nextLines(console, 1);
    await terminal.send(`${'x'.repeat(100)}\rok\r`);
    expect(await lines).toEqual(['ok']);
    expect(warnings.map((w) => w.code)).toEqual(['CONSOLE_FAULT']);
  });

  it('a missing device fails start() with CONSOLE_OPEN_FAILED; writing before start is NOT_STARTED', async () => {
    const console = createSerialConsole({ path: '/nonexistent/ttyAME0' });
    await expect(console.writeLine('x')).rejects.toMatchObject({ code: 'NOT_STARTED' });
    const error = await console.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HalError);
    expect((error as HalError).code).toBe('CONSOLE_OPEN_FAILED');
  });

  it('stop() closes the port; a second stop() is harmless', async () => {
    const { console } = await rig();
    await console.stop();
    await console.stop();
    await expect(console.writeLine('late')).rejects.toMatchObject({ code: 'NOT_STARTED' });
  });
});
