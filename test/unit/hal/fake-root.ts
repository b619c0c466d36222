/** Builds fake /proc, /sys and /dev trees in a temp dir, for the HAL's configurable root. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

export interface FakeRoot {
  readonly dir: string;
  /** Writes a file at a device path (parents created). */
  file(devicePath: string, content: string | Uint8Array): FakeRoot;
  dir_(devicePath: string): FakeRoot;
  link(devicePath: string, target: string): FakeRoot;
  read(devicePath: string): string;
  path(devicePath: string): string;
  remove(): void;
}

export function fakeRoot(): FakeRoot {
  const dir = mkdtempSync(path.join(tmpdir(), 'ame-hal-'));
  const at = (p: string) => path.join(dir, p);
  const root: FakeRoot = {
    dir,
    file(p, content) {
      mkdirSync(path.dirname(at(p)), { recursive: true });
      writeFileSync(at(p), content);
      return root;
    },
    dir_(p) {
      mkdirSync(at(p), { recursive: true });
      return root;
    },
    link(p, target) {
      mkdirSync(path.dirname(at(p)), { recursive: true });
      symlinkSync(target, at(p));
      return root;
    },
    read: (p) => readFileSync(at(p), 'utf8'),
    path: at,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return root;
}

/** A gpiochip directory as the kernel shows it. */
export function addGpioChip(root: FakeRoot, name: string, label: string, base: number, ngpio: number): void {
  root.file(`/sys/class/gpio/${name}/label`, `${label}\n`).file(`/sys/class/gpio/${name}/base`, `${base}\n`).file(`/sys/class/gpio/${name}/ngpio`, `${ngpio}\n`);
}

/** The sysfs GPIO interface with one chip; `exported` lines get their gpioN directory as if already exported. */
export function addGpioSysfs(root: FakeRoot, chip: { label: string; base: number; ngpio: number }, exported: number[] = []): void {
  root.file('/sys/class/gpio/export', '').file('/sys/class/gpio/unexport', '');
  addGpioChip(root, `gpiochip${chip.base}`, chip.label, chip.base, chip.ngpio);
  for (const n of exported) {
    for (const f of ['value', 'direction', 'active_low', 'edge']) root.file(`/sys/class/gpio/gpio${n}/${f}`, f === 'direction' ? 'in\n' : '0\n');
  }
}

/** A kernel LED (/sys/class/leds/<name>) with a trigger list and max brightness. */
export function addSysfsLed(root: FakeRoot, name: string, trigger = 'none [mmc0] timer heartbeat', max = '1'): void {
  root
    .file(`/sys/class/leds/${name}/brightness`, '0\n')
    .file(`/sys/class/leds/${name}/trigger`, `${trigger}\n`)
    .file(`/sys/class/leds/${name}/max_brightness`, `${max}\n`);
}

/** The device-tree model string, NUL-terminated as the kernel writes it. */
export function addModel(root: FakeRoot, model: string): void {
  root.file('/sys/firmware/devicetree/base/model', `${model}\0`);
}

/** A maker of fake roots for one test file; every root it made is removed after each test. */
export function fakeRoots(): () => FakeRoot {
  const roots: FakeRoot[] = [];
  afterEach(() => roots.splice(0).forEach((r) => r.remove()));
  return () => {
    const r = fakeRoot();
    roots.push(r);
    return r;
  };
}
