import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../hal/clock.ts';
import { chooseGpioDriver, createHal, type Hal } from '../../../hal/create.ts';
import { HalError } from '../../../hal/errors.ts';
import type { ButtonEvent } from '../../../hal/ports.ts';
import { openPtyPair } from '../../../hal/sim/pty-pair.ts';
import type { HalLogger, HalWarning } from '../../../hal/warnings.ts';
import { addGpioSysfs, addModel, addSysfsLed, fakeRoot, type FakeRoot } from './fake-root.ts';
import { nextLines, openTerminal } from './serial-terminal.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const root = () => {
  const r = fakeRoot();
  cleanup.push(() => r.remove());
  return r;
};
const hal = async (...args: Parameters<typeof createHal>) => {
  const h = await createHal(...args);
  cleanup.push(() => h.stop());
  return h;
};
const codes = (h: Hal) => h.warnings().map((w) => `${w.port}:${w.code}:${w.level}`);

/** A Raspberry Pi 4 with the sysfs GPIO interface (kernel 6.6 numbering), the ACT LED and a watchdog. */
function pi4Tree(): FakeRoot {
  const r = root();
  addModel(r, 'Raspberry Pi 4 Model B Rev 1.4');
  addGpioSysfs(r, { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }, [529, 539]);
  r.file('/sys/class/gpio/gpio539/value', '1\n'); // button released (pulled up)
  addSysfsLed(r, 'ACT');
  r.file('/dev/watchdog', '').file('/sys/class/watchdog/watchdog0/timeout', '15\n');
  return r;
}

describe('createHal on a fake Raspberry Pi 4', () => {
  it('picks the linux adapters, drives both LEDs, reads the button and talks over the UART', async () => {
    const r = pi4Tree();
    const pair = await openPtyPair();
    cleanup.push(() => pair.close());
    r.link('/dev/serial0', pair.devicePath); // the UART is a pty here
    const clock = new ManualClock();
    const h = await hal({ root: r.dir, clock, env: {} });
    expect(h.board.id).toBe('rpi4');
    expect(h.adapters()).toEqual({ led: 'linux', button: 'linux', console: 'linux', sysinfo: 'linux', watchdog: 'dev', gpioDriver: 'sysfs-poll' });
    expect(h.watchdog.timeoutMs).toBe(15_000);
    expect(h.warnings()).toEqual([]);
    await h.start();

    h.led.set({ kind: 'blink', onMs: 100, offMs: 100 });
    expect(r.read('/sys/class/leds/ACT/trigger')).toBe('none');
    expect(r.read('/sys/class/leds/ACT/brightness')).toBe('1');
    expect(r.read('/sys/class/gpio/gpio529/value')).toBe('1'); // BCM 17 = 512 + 17
    clock.advance(100);
    expect(r.read('/sys/class/leds/ACT/brightness')).toBe('0');
    expect(r.read('/sys/class/gpio/gpio529/value')).toBe('0');

    const events: ButtonEvent[] = [];
    h.button.onEvent((e) => events.push(e));
    r.file('/sys/class/gpio/gpio539/value', '0\n'); // BCM 27 pulled low: pressed
    clock.advance(10);
    expect(events).toEqual([{ kind: 'press', at: 110 }]);

    const terminal = await openTerminal(pair.terminalPath);
    cleanup.push(() => terminal.close());
    const lines = nextLines(h.console, 1);
    await terminal.send('status\r');
    expect(await lines).toEqual(['status']);
    await h.console.writeLine('ok');
    await terminal.expect(/ok\r\n/);

    await h.stop();
    expect(r.read('/sys/class/leds/ACT/trigger')).toBe('mmc0'); // the LED is given back to the kernel
    expect(r.read('/sys/class/gpio/gpio529/value')).toBe('0');
  });

  it('a Pi 5 whose GPIO chip is not found keeps the ACT LED and says why the header pins were skipped', async () => {
    const r = pi4Tree();
    addModel(r, 'Raspberry Pi 5 Model B Rev 1.0'); // but the tree only has the bcm2711 chip
    const h = await hal({ root: r.dir, clock: new ManualClock(), env: {} });
    expect(h.adapters().led).toBe('linux');
    expect(h.adapters().button).toBe('sim');
    expect(codes(h)).toEqual(['led:LED_TARGET_SKIPPED:info', 'button:BUTTON_ABSENT:warn', 'console:CONSOLE_ABSENT:warn']);
    expect(h.warnings()[1]!.cause).toMatch(/pinctrl-rp1/);
  });
});

describe('createHal where hardware is missing', () => {
  it('auto: an empty root degrades every port with a warning and never throws', async () => {
    const h = await hal({ root: root().dir, clock: new ManualClock(), env: {} });
    expect(h.board.id).toBe('generic');
    expect(h.adapters()).toEqual({ led: 'sim', button: 'sim', console: 'none', sysinfo: 'linux', watchdog: 'none', gpioDriver: null });
    expect(codes(h)).toEqual(['led:LED_ABSENT:warn', 'button:BUTTON_ABSENT:warn', 'console:CONSOLE_ABSENT:warn', 'watchdog:WATCHDOG_ABSENT:warn']);
    await h.start();
    h.led.set({ kind: 'on' });
    expect(h.led.lit()).toBe(true);
    await h.console.writeLine('dropped'); // absent console: accepted, goes nowhere
    expect((await h.sysinfo.read()).problems).toEqual([]);
  });

  it('auto on a Pi with no sysfs GPIO (a container): LED and button fall back, each warning names the missing path', async () => {
    const r = root();
    addModel(r, 'Raspberry Pi 5 Model B Rev 1.0');
    const h = await hal({ root: r.dir, clock: new ManualClock(), env: {} });
    const led = h.warnings().find((w) => w.code === 'LED_ABSENT')!;
    expect(led.message).toContain(`${r.dir}/sys/class/gpio`);
    expect(led.message).toContain(`${r.dir}/sys/class/leds`);
    expect(h.warnings().find((w) => w.code === 'CONSOLE_ABSENT')!.message).toContain(`${r.dir}/dev/serial0`);
  });

  it('forced linux with the hardware missing: the ports are disabled and the warnings are errors', async () => {
    const h = await hal({ root: root().dir, led: 'linux', button: 'linux', console: 'linux', watchdog: 'dev', clock: new ManualClock(), env: {} });
    expect(h.adapters()).toMatchObject({ led: 'none', button: 'none', console: 'none', watchdog: 'none' });
    expect(h.warnings().map((w) => w.level)).toEqual(['error', 'error', 'error', 'error']);
  });

  it('forced choices win over detection', async () => {
    const h = await hal({ root: pi4Tree().dir, led: 'sim', button: 'none', console: 'none', watchdog: 'sim', sysinfo: 'sim', clock: new ManualClock(), env: {} });
    expect(h.adapters()).toEqual({ led: 'sim', button: 'none', console: 'none', sysinfo: 'sim', watchdog: 'sim', gpioDriver: null });
    expect(h.warnings()).toEqual([]);
    expect((await h.sysinfo.read()).model).toBe('AME simulated device');
  });

  it('a port that fails at start() is replaced by its absent adapter with a START_FAILED error', async () => {
    const r = pi4Tree().file('/dev/serial0', 'not a tty'); // exists, but serialport cannot configure it
    const h = await hal({ root: r.dir, clock: new ManualClock(), env: {} });
    expect(h.adapters().console).toBe('linux');
    await h.start();
    expect(h.adapters().console).toBe('none');
    const failed = h.warnings().find((w) => w.code === 'START_FAILED')!;
    expect(failed).toMatchObject({ port: 'console', level: 'error' });
    expect(failed.cause).toBeTruthy();
  });

  it('systemd asked for a watchdog (NOTIFY_SOCKET, WATCHDOG_USEC): it is preferred over /dev/watchdog', async () => {
    const argv: (readonly string[])[] = [];
    const h = await hal(
      { root: pi4Tree().dir, clock: new ManualClock(), env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' } },
      { runCommand: async (a) => (argv.push(a), 0) },
    );
    expect(h.adapters().watchdog).toBe('systemd');
    expect(h.watchdog.timeoutMs).toBe(30_000);
    await h.watchdog.start();
    await h.watchdog.kick();
    expect(argv).toEqual([['systemd-notify', 'WATCHDOG=1']]);
  });

  it('pin overrides: a USB serial adapter on a generic board becomes the console; an empty LED list means no LED', async () => {
    const r = root().file('/dev/ttyUSB0', '');
    const h = await hal({ root: r.dir, pins: { uart: '/dev/ttyUSB0', statusLeds: [] }, clock: new ManualClock(), env: {} });
    expect(h.adapters().console).toBe('linux');
    expect(h.console.path).toBe(`${r.dir}/dev/ttyUSB0`);
    expect(h.warnings().find((w) => w.code === 'LED_ABSENT')!.message).toContain('the pin map has no status LED');
  });

  it('sends each warning to a pino-compatible logger at its level', async () => {
    const logged: [string, object, string][] = [];
    const logger: HalLogger = {
      info: (o, m) => logged.push(['info', o, m]),
      warn: (o, m) => logged.push(['warn', o, m]),
      error: (o, m) => logged.push(['error', o, m]),
    };
    await hal({ root: root().dir, led: 'linux', clock: new ManualClock(), env: {}, logger });
    expect(logged[0]).toEqual(['error', expect.objectContaining({ code: 'LED_ABSENT', port: 'led' }), expect.stringContaining('status LED')]);
    expect(logged.map((l) => l[0])).toEqual(['error', 'warn', 'warn', 'warn']);
  });
});

describe('createHal configuration', () => {
  it.each([
    [{ led: 'blue' }, /hal\.led must be one of/],
    [{ board: 'rpi3' }, /hal\.board/],
    [{ root: 'relative/dir' }, /hal\.root must be an absolute path/],
    [{ pins: { button: { line: -1, activeLow: true } } }, /hal\.pins\.button\.line/],
    [{ pins: { statusLeds: [{ kind: 'sysfs-led', names: ['../../etc'] }] } }, /hal\.pins\.statusLeds\[0\]\.names/],
    [{ baudRate: 0 }, /hal\.baudRate/],
  ])('refuses %j with BAD_CONFIG naming the field', async (options, message) => {
    const error = await createHal(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HalError);
    expect(error).toMatchObject({ code: 'BAD_CONFIG', message: expect.stringMatching(message) });
  });

  it('a forced board overrides detection', async () => {
    const h = await hal({ root: root().dir, board: 'rpi5', led: 'none', button: 'none', console: 'none', watchdog: 'none', clock: new ManualClock(), env: {} });
    expect(h.board.id).toBe('rpi5');
    expect(h.pins.gpioChipLabel).toBe('pinctrl-rp1');
  });
});

describe('GPIO driver choice', () => {
  it('onoff on the real root; the sysfs poll driver under a fake root or when onoff will not load (with a warning)', async () => {
    const clock = new ManualClock();
    const warnings: HalWarning[] = [];
    const report = (w: HalWarning) => warnings.push(w);
    const FakeGpio = class {} as never;
    expect((await chooseGpioDriver('/', clock, { loadOnoff: async () => FakeGpio }, report)).name).toBe('onoff');
    expect((await chooseGpioDriver('/tmp/x', clock, { loadOnoff: async () => FakeGpio }, report)).name).toBe('sysfs-poll');
    expect(warnings).toEqual([]);
    const failing = async () => {
      throw new HalError('GPIO_UNAVAILABLE', 'epoll.node: wrong ELF class');
    };
    expect((await chooseGpioDriver('/', clock, { loadOnoff: failing }, report)).name).toBe('sysfs-poll');
    expect(warnings).toMatchObject([{ code: 'GPIO_DRIVER_FALLBACK', cause: expect.stringContaining('wrong ELF class') }]);
  });
});
