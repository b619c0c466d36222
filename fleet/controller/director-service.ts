/**
 * The director as a service (SPEC §10): node/update's Director with its keys in files and its per-device versions
 * on disk, and each assignment delivered as the device's retained desired state — its configuration (if any)
 * plus the update offer — in a `fleet.desired` envelope signed by the fleet's command key.
 *
 * Director counts versions in memory, so after a restart the service resumes a device from its stored version the
 * first time that device is assigned again: its next document is one above any version the device has seen.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import type { Ed25519KeyPair, RandomSource } from '../../node/crypto/index.ts';
import { signDesired, withUpdateOffer } from '../../node/fleetproto/index.ts';
import type { CborValue } from '../../node/wire/index.ts';
import { Director, type DirectorLifetimes, type DirectorTarget } from '../../node/update/index.ts';
import { adoptedChain, loadRoleKeys, rootKeysOffline, type RootFolder } from '../repository/index.ts';
import { DirectorStore, type DirectorRecord } from './director-store.ts';
import { ControllerError } from './errors.ts';

/** Where desired states go: the controller's MQTT link (retained, QoS 1). */
export interface DesiredPublisher {
  publishDesired(deviceId: string, payload: Uint8Array): Promise<void>;
}

export interface DirectorServiceOptions {
  /** The director's folder: `keys/`, `director.sqlite`, `director-root-1.cbor`. */
  readonly dir: string;
  readonly commandKey: Ed25519KeyPair;
  readonly publisher: DesiredPublisher;
  /** The image repository's base URL devices download from. */
  readonly repositoryUrl: () => string;
  /** The configuration part of a device's desired state (none by default). */
  readonly config?: (deviceId: string) => CborValue | undefined;
  readonly now: () => number;
  readonly lifetimes?: Partial<DirectorLifetimes>;
  readonly random?: RandomSource;
}

export interface DirectorService {
  /** Signs the device's next director document naming `target`, stores it, publishes the desired state. */
  assign(deviceId: string, target: DirectorTarget): Promise<Uint8Array>;
  /** The last version and target signed for a device. */
  current(deviceId: string): DirectorRecord | undefined;
  /**
   * Publishes every device's last desired state again, as stored: a restarted embedded broker has lost its
   * retained messages. A device that already took one answers REPLAY and keeps it. Returns how many.
   */
  republish(): Promise<number>;
  /** The director root devices start from (ship it with the image repository's root). */
  initialRoot(): Uint8Array;
  close(): void;
}

const ROOT_FILE = 'director-root-1.cbor';

/** The director's roots on disk (fleet/repository root-files.ts). */
export function directorRootFolder(dir: string): RootFolder {
  return { dir, repository: 'director', firstFile: ROOT_FILE, onlineRoles: ['targets'] };
}

export function createDirectorService(o: DirectorServiceOptions): DirectorService {
  mkdirSync(o.dir, { recursive: true });
  const keysDir = join(o.dir, 'keys');
  const folder = directorRootFolder(o.dir);
  const common = { now: o.now, ...(o.lifetimes ? { lifetimes: o.lifetimes } : {}) };
  const director = rootKeysOffline(folder)
    ? new Director({ ...common, roles: loadRoleKeys(keysDir, ['targets'] as const, o.random), rootChain: adoptedChain(folder) })
    : new Director({ ...common, roles: loadRoleKeys(keysDir, ['root', 'targets'] as const, o.random) });
  const rootPath = join(o.dir, ROOT_FILE);
  if (!existsSync(rootPath)) writeFileAtomic(rootPath, director.initialRoot(), PUBLIC_MODE);
  const initialRoot = new Uint8Array(readFileSync(rootPath));
  const store = new DirectorStore(join(o.dir, 'director.sqlite'));
  const caughtUp = new Set<string>();
  let closed = false;

  const catchUp = (deviceId: string, stored: DirectorRecord | undefined) => {
    if (caughtUp.has(deviceId)) return;
    if (stored !== undefined) director.resume(deviceId, stored.version);
    caughtUp.add(deviceId);
  };

  return {
    async assign(deviceId, target) {
      if (closed) throw new ControllerError('CLOSED', 'the director service is stopped');
      const stored = store.get(deviceId);
      catchUp(deviceId, stored);
      let document: Uint8Array;
      try {
        document = director.assign(deviceId, target);
      } catch (cause) {
        throw new ControllerError('BAD_INPUT', `cannot assign ${target.name} to ${deviceId}: ${(cause as Error).message}`, { cause });
      }
      const seq = (stored?.seq ?? 0) + 1;
      // Every root after the first (which devices ship with): a device walks up from the one it trusts.
      const state = withUpdateOffer(o.config?.(deviceId), { director: document, directorRoots: director.roots().slice(1), repository: o.repositoryUrl() });
      const payload = signDesired(o.commandKey, { device: deviceId, seq, time: o.now(), state });
      store.put(deviceId, { version: (stored?.version ?? 0) + 1, target, seq, payload });
      await o.publisher.publishDesired(deviceId, payload);
      return document;
    },
    current: (deviceId) => store.get(deviceId),
    async republish() {
      const all = store.all();
      for (const { device, record } of all) await o.publisher.publishDesired(device, record.payload);
      return all.length;
    },
    initialRoot: () => initialRoot,
    close() {
      if (closed) return;
      closed = true;
      store.close();
    },
  };
}
