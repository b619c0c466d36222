import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOnoffGpioDriver, loadOnoff, type OnoffGpioClass } from '../../../../hal/linux/gpio-onoff.ts';
import { HalError } from '../../../../hal/errors.ts';
import { codeOf } from '../../../support/error-code.ts';

/**
 * onoff hard-codes /sys/class/gpio, so it cannot be pointed at a temp dir. As root, a private mount namespace can put
 * a tmpfs over /sys/class for one child process only: there onoff runs for real against a fake tree.
 */
const canUnshare = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /sys/class'], { stdio: 'ignore' }).status === 0;

describe('onoff GPIO driver', () => {
  it.skipIf(!canUnshare)('drives the status LED through onoff on the real root (in a private mount namespace)', () => {
    const child = fileURLToPath(new URL('./onoff-child.ts', import.meta.url));
    const run = spawnSync(
      'unshare',
      ['-m', 'sh', '-c', 'mount -t tmpfs none /sys/class && mount -t tmpfs none /sys/firmware && exec "$0" "$1"', process.execPath, child],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      board: 'rpi4',
      before: { led: 'linux', button: 'linux', gpioDriver: 'onoff' },
      lit: '1\n',
      unlit: '0\n',
      direction: 'low', // onoff wrote it: output, starting low
      unexport: '529', // onoff released the line at stop
    });
    // Edge interrupts need epoll on the kernel's value file; on a tmpfs file epoll refuses (EPERM), so the button
    // fails to start there and is replaced, with a warning — the path a broken GPIO takes on a real box too.
    expect(result['after']).toMatchObject({ button: 'none' });
    expect(result['warnings']).toMatchObject([{ code: 'START_FAILED', port: 'button', cause: expect.stringMatching(/watching GPIO 539/) }]);
  });

  it('loads onoff (and its epoll addon) in this Node', async () => {
    const Gpio = await loadOnoff();
    expect(typeof Gpio).toBe('function');
  });

  it('wraps onoff failures as GPIO_IO and releases lines quietly', () => {
    const calls: string[] = [];
    const Broken = class {
      constructor(n: number, direction: string) {
        calls.push(`open ${n} ${direction}`);
        if (n === 99) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      }
      readSync() {
        return 1 as const;
      }
      writeSync(v: 0 | 1) {
        calls.push(`write ${v}`);
      }
      watch() {
        throw new Error('Operation not permitted');
      }
      unexport() {
        calls.push('unexport');
        throw new Error('EPERM');
      }
    } as unknown as OnoffGpioClass;
    const driver = createOnoffGpioDriver(Broken);
    expect(codeOf(() => driver.openOutput(99), HalError)).toBe('GPIO_IO');
    const out = driver.openOutput(529);
    out.write(true);
    out.close(); // onoff's unexport threw; close does not
    const input = driver.openInput(539);
    expect(input.read()).toBe(true);
    expect(codeOf(() => input.watch(() => {}), HalError)).toBe('GPIO_IO');
    expect(calls).toEqual(['open 99 low', 'open 529 low', 'write 1', 'unexport', 'open 539 in']);
  });
});
