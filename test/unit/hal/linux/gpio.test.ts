import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../hal/clock.ts';
import { HalError } from '../../../../hal/errors.ts';
import { createLinuxButton } from '../../../../hal/linux/button.ts';
import { resolveSysfsNumber } from '../../../../hal/linux/gpio.ts';
import { createSysfsGpioDriver } from '../../../../hal/linux/gpio-sysfs.ts';
import { activeTrigger, gpioLedSink, sysfsLedSink } from '../../../../hal/linux/led.ts';
import type { ButtonEvent } from '../../../../hal/ports.ts';
import type { HalWarning } from '../../../../hal/warnings.ts';
import { codeOf } from '../../../support/error-code.ts';
import { addGpioChip, addGpioSysfs, addSysfsLed, fakeRoots } from '../fake-root.ts';

const root = fakeRoots();

describe('GPIO numbering through the chip label', () => {
  it('a Pi 5 on Linux 6.6 numbers BCM 17 as 571 + 17; a Pi 4 as 512 + 17', () => {
    const r = root();
    addGpioChip(r, 'gpiochip512', 'raspberrypi-exp-gpio', 512, 8); // a decoy chip
    addGpioChip(r, 'gpiochip571', 'pinctrl-rp1', 571, 54);
    expect(resolveSysfsNumber(r.dir, 'pinctrl-rp1', 17)).toBe(588);
    const r4 = root();
    addGpioChip(r4, 'gpiochip512', 'pinctrl-bcm2711', 512, 58);
    expect(resolveSysfsNumber(r4.dir, 'pinctrl-bcm2711', 27)).toBe(539);
  });

  it('refuses to guess: a missing chip or a line past its end is GPIO_CHIP_NOT_FOUND', () => {
    const r = root();
    addGpioChip(r, 'gpiochip0', 'pinctrl-bcm2835', 0, 54);
    expect(codeOf(() => resolveSysfsNumber(r.dir, 'pinctrl-rp1', 17), HalError)).toBe('GPIO_CHIP_NOT_FOUND');
    expect(codeOf(() => resolveSysfsNumber(r.dir, 'pinctrl-bcm2835', 54), HalError)).toBe('GPIO_CHIP_NOT_FOUND');
    expect(codeOf(() => resolveSysfsNumber(root().dir, 'pinctrl-bcm2835', 1), HalError)).toBe('GPIO_CHIP_NOT_FOUND');
    expect(resolveSysfsNumber(r.dir, null, 17)).toBe(17); // generic board: numbers as given
  });
});

describe('sysfs GPIO driver against a fake tree', () => {
  it('an output is set to "low" direction, written as 0/1, and left exported when someone else exported it', () => {
    const r = root();
    addGpioSysfs(r, { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }, [529]);
    const driver = createSysfsGpioDriver({ root: r.dir, clock: new ManualClock() });
    const out = driver.openOutput(529);
    expect(r.read('/sys/class/gpio/gpio529/direction')).toBe('low');
    out.write(true);
    expect(r.read('/sys/class/gpio/gpio529/value')).toBe('1');
    out.write(false);
    expect(r.read('/sys/class/gpio/gpio529/value')).toBe('0');
    out.close();
    expect(r.read('/sys/class/gpio/unexport')).toBe('');
  });

  it('exports a line that is not exported yet, and fails with GPIO_IO when the kernel does not create it', () => {
    const r = root();
    addGpioSysfs(r, { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 });
    const driver = createSysfsGpioDriver({ root: r.dir, clock: new ManualClock() });
    expect(codeOf(() => driver.openOutput(530), HalError)).toBe('GPIO_IO');
    expect(r.read('/sys/class/gpio/export')).toBe('530'); // it asked the kernel
  });

  it('an input is polled on the clock and reports each change once', () => {
    const r = root();
    addGpioSysfs(r, { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }, [539]);
    r.file('/sys/class/gpio/gpio539/value', '1\n');
    const clock = new ManualClock();
    const input = createSysfsGpioDriver({ root: r.dir, clock, pollMs: 10 }).openInput(539);
    expect(r.read('/sys/class/gpio/gpio539/direction')).toBe('in');
    const seen: boolean[] = [];
    input.watch((high) => seen.push(high));
    clock.advance(50);
    r.file('/sys/class/gpio/gpio539/value', '0\n');
    clock.advance(30);
    r.file('/sys/class/gpio/gpio539/value', '1\n');
    clock.advance(10);
    expect(seen).toEqual([false, true]);
    input.close();
    expect(clock.pending()).toBe(0);
  });
});

describe('linux button over the sysfs driver', () => {
  function rig(initial: '0' | '1') {
    const r = root();
    addGpioSysfs(r, { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }, [539]);
    r.file('/sys/class/gpio/gpio539/value', `${initial}\n`);
    const clock = new ManualClock(100);
    const warnings: HalWarning[] = [];
    const button = createLinuxButton({
      driver: createSysfsGpioDriver({ root: r.dir, clock }),
      sysfsNumber: 539,
      pin: { line: 27, activeLow: true },
      clock,
      report: (w) => warnings.push(w),
    });
    const events: ButtonEvent[] = [];
    button.onEvent((e) => events.push(e));
    const level = (v: '0' | '1') => r.file('/sys/class/gpio/gpio539/value', `${v}\n`);
    return { button, clock, events, warnings, level };
  }

  it('active-low: the pin going low is a press, timestamped on the clock', async () => {
    const { button, clock, events, level } = rig('1');
    await button.start();
    clock.advance(100);
    level('0');
    clock.advance(10);
    expect(button.isPressed()).toBe(true);
    clock.advance(490);
    level('1');
    clock.advance(10);
    expect(events).toEqual([
      { kind: 'press', at: 210 },
      { kind: 'release', at: 710 },
    ]);
    await button.stop();
  });

  it('a button held (or stuck) at start is ignored until it has been released', async () => {
    const { button, clock, events, warnings, level } = rig('0');
    await button.start();
    expect(warnings.map((w) => w.code)).toEqual(['BUTTON_PRESSED_AT_START']);
    clock.advance(20_000);
    expect(events).toEqual([]);
    expect(button.isPressed()).toBe(false);
    level('1');
    clock.advance(10);
    level('0');
    clock.advance(10);
    expect(events.map((e) => e.kind)).toEqual(['press']);
    await button.stop();
  });
});

describe('LED sinks', () => {
  it('an active-low GPIO LED is driven low to light', async () => {
    const r = root();
    addGpioSysfs(r, { label: 'x', base: 0, ngpio: 54 }, [17]);
    const sink = gpioLedSink(createSysfsGpioDriver({ root: r.dir, clock: new ManualClock() }), 17, { kind: 'gpio', line: 17, activeLow: true });
    await sink.open();
    sink.write(true);
    expect(r.read('/sys/class/gpio/gpio17/value')).toBe('0');
    sink.write(false);
    expect(r.read('/sys/class/gpio/gpio17/value')).toBe('1');
    await sink.close();
  });

  it('a kernel LED is taken from its trigger, lit at max_brightness, and its trigger given back on close', async () => {
    const r = root();
    addSysfsLed(r, 'ACT', 'none rc-feedback [mmc0] timer', '255');
    const sink = sysfsLedSink(r.path('/sys/class/leds/ACT'));
    await sink.open();
    expect(r.read('/sys/class/leds/ACT/trigger')).toBe('none');
    sink.write(true);
    expect(r.read('/sys/class/leds/ACT/brightness')).toBe('255');
    sink.write(false);
    expect(r.read('/sys/class/leds/ACT/brightness')).toBe('0');
    await sink.close();
    expect(r.read('/sys/class/leds/ACT/trigger')).toBe('mmc0');
  });

  it('reads the bracketed trigger', () => {
    expect(activeTrigger('none [heartbeat] mmc0\n')).toBe('heartbeat');
    expect(activeTrigger('none mmc0')).toBeNull();
  });

  it('a vanished LED directory fails the write with LED_IO', async () => {
    const r = root();
    addSysfsLed(r, 'ACT');
    const sink = sysfsLedSink(r.path('/sys/class/leds/ACT'));
    await sink.open();
    r.remove();
    expect(existsSync(r.path('/sys/class/leds/ACT'))).toBe(false);
    expect(codeOf(() => sink.write(true), HalError)).toBe('LED_IO');
  });
});
