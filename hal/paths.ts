import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Every device path is read under a configurable root ('/' on a device, a temp dir in tests), so the adapters can be
 * exercised against a fake /proc, /sys and /dev tree.
 */
export function underRoot(root: string, devicePath: string): string {
  if (!path.isAbsolute(devicePath)) throw new TypeError(`device path must be absolute: ${devicePath}`);
  return path.join(root, devicePath);
}

/** Whether the root is the machine's real one (only there can libraries with hard-coded paths, like onoff, be used). */
export function isRealRoot(root: string): boolean {
  return path.resolve(root) === '/';
}

export function existsUnder(root: string, devicePath: string): boolean {
  return existsSync(underRoot(root, devicePath));
}
