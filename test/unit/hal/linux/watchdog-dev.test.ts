import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDevWatchdog, readWatchdogTimeoutMs } from '../../../../hal/linux/watchdog-dev.ts';
import { fakeRoots } from '../fake-root.ts';

const root = fakeRoots();

describe('/dev/watchdog adapter against a fake device file', () => {
  it('opens (arms), kicks with a NUL byte each time, and disarms with the magic V before closing', async () => {
    const r = root().file('/dev/watchdog', '');
    const wd = createDevWatchdog({ root: r.dir, timeoutMs: 15_000 });
    await expect(wd.kick()).rejects.toMatchObject({ code: 'NOT_STARTED' });
    await wd.start();
    await wd.kick();
    await wd.kick();
    await wd.kick();
    await wd.stop();
    expect(readFileSync(r.path('/dev/watchdog'))).toEqual(Buffer.from([0, 0, 0, 'V'.charCodeAt(0)]));
    await wd.stop(); // twice is harmless
    expect(readFileSync(r.path('/dev/watchdog')).length).toBe(4);
  });

  it('a device that cannot be opened is WATCHDOG_IO (EBUSY on a Pi when systemd holds it)', async () => {
    const r = root().dir_('/dev/watchdog'); // a directory: open for writing fails
    await expect(createDevWatchdog({ root: r.dir, timeoutMs: null }).start()).rejects.toMatchObject({ code: 'WATCHDOG_IO' });
  });

  it('reads the timeout from sysfs in seconds, null when absent or malformed', async () => {
    const r = root().file('/sys/class/watchdog/watchdog0/timeout', '15\n');
    expect(await readWatchdogTimeoutMs(r.dir)).toBe(15_000);
    expect(await readWatchdogTimeoutMs(root().dir)).toBeNull();
    expect(await readWatchdogTimeoutMs(root().file('/sys/class/watchdog/watchdog0/timeout', 'soon').dir)).toBeNull();
  });
});
