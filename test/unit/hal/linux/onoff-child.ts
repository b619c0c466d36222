/**
 * Runs inside a private mount namespace (see gpio-onoff.test.ts) where /sys/class and /sys/firmware are empty
 * tmpfs mounts: builds a fake Pi 4 there, then drives createHal on the real root '/', so onoff itself — which
 * hard-codes /sys/class/gpio — writes the files. Prints one JSON line with what it observed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHal } from '../../../../hal/create.ts';

const put = (file: string, content: string) => {
  mkdirSync(file.slice(0, file.lastIndexOf('/')), { recursive: true });
  writeFileSync(file, content);
};
put('/sys/firmware/devicetree/base/model', 'Raspberry Pi 4 Model B Rev 1.4\0');
put('/sys/class/gpio/export', '');
put('/sys/class/gpio/unexport', '');
put('/sys/class/gpio/gpiochip512/label', 'pinctrl-bcm2711\n');
put('/sys/class/gpio/gpiochip512/base', '512\n');
put('/sys/class/gpio/gpiochip512/ngpio', '58\n');
for (const n of [529, 539]) {
  for (const f of ['value', 'direction', 'active_low', 'edge']) put(`/sys/class/gpio/gpio${n}/${f}`, n === 539 && f === 'value' ? '1\n' : '0\n');
}

const read = (file: string) => readFileSync(file, 'utf8');
const hal = await createHal({ console: 'none', watchdog: 'none', pins: { statusLeds: [{ kind: 'gpio', line: 17, activeLow: false }] }, env: {} });
const before = hal.adapters();
await hal.start();
hal.led.set({ kind: 'on' });
const lit = read('/sys/class/gpio/gpio529/value');
const direction = read('/sys/class/gpio/gpio529/direction');
hal.led.set({ kind: 'off' });
const unlit = read('/sys/class/gpio/gpio529/value');
const after = hal.adapters();
await hal.stop();
process.stdout.write(
  `${JSON.stringify({ board: hal.board.id, before, after, lit, unlit, direction, unexport: read('/sys/class/gpio/unexport'), warnings: hal.warnings() })}\n`,
);
