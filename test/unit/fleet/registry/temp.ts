/** A registry on a real SQLite file in a fresh temporary folder, for the registry's tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { Registry, type DeviceEnrolment } from '../../../../fleet/registry/index.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

/** Cheap scrypt for tests (2^10); production uses DEFAULT_PASSWORD_COST. */
export const TEST_PASSWORD_COST = 10;

export interface TempRegistry {
  readonly registry: Registry;
  readonly path: string;
  reopen(): Registry;
  cleanup(): void;
}

export function tempRegistry(label = 'registry'): TempRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'ame-registry-'));
  const path = join(dir, 'registry.sqlite');
  const open = () => Registry.open(path, { random: labelledBytes(label), passwordCost: TEST_PASSWORD_COST });
  const opened: Registry[] = [open()];
  return {
    registry: opened[0]!,
    path,
    reopen: () => {
      const r = open();
      opened.push(r);
      return r;
    },
    cleanup: () => {
      for (const r of opened) r.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function device(label: string, groups: string[] = [], tags: string[] = []): DeviceEnrolment {
  const i = identity(`registry ${label}`);
  return { id: i.id, publicKey: i.key.publicKey.bytes, groups, tags };
}

/** A fresh registry for every test of the calling file (vitest hooks), closed and deleted after each. */
export function registryPerTest(): { readonly r: Registry; readonly t: TempRegistry } {
  let current: TempRegistry | undefined;
  beforeEach(() => {
    current = tempRegistry();
  });
  afterEach(() => current?.cleanup());
  const now = (): TempRegistry => {
    if (current === undefined) throw new Error('registryPerTest: used outside a test');
    return current;
  };
  return {
    get r() {
      return now().registry;
    },
    get t() {
      return now();
    },
  };
}
