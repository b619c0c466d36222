/** Deterministic keys, an image repository and a director with one published target, for the update tests. */
import { Ed25519KeyPair, sha256, utf8 } from '../../../../node/crypto/index.ts';
import { type CborMap, type CborValue, decodeCbor, encodeCbor } from '../../../../node/wire/index.ts';
import {
  Director,
  ImageRepository,
  initialTrustState,
  keyIdOf,
  type RoleType,
  signingMessage,
  type TargetInfo,
  type TrustState,
  type UpdateMetadata,
  UpdateError,
} from '../../../../node/update/index.ts';

export const keyOf = (label: string): Ed25519KeyPair => Ed25519KeyPair.fromSeed(sha256(utf8(`update ${label}`)));

export const T0 = Date.UTC(2027, 0, 1);
export const HOUR = 60 * 60 * 1000;
export const DEVICE = 'device-a';

export const keys = {
  root: [keyOf('root 1'), keyOf('root 2'), keyOf('root 3')],
  targets: [keyOf('targets 1'), keyOf('targets 2'), keyOf('targets 3')],
  snapshot: keyOf('snapshot'),
  timestamp: keyOf('timestamp'),
  directorRoot: keyOf('director root'),
  directorTargets: keyOf('director targets'),
  spare: keyOf('spare'),
};

export function targetInfo(label: string, version = '1.0.0'): TargetInfo {
  const bytes = utf8(`bundle ${label}`);
  return { length: bytes.length, sha256: sha256(bytes), custom: { name: 'ame', version, arch: 'arm64' } };
}

export interface World {
  readonly clock: { now: number };
  readonly image: ImageRepository;
  readonly director: Director;
  readonly state: TrustState;
  /** Publishes `name` in the image repository and assigns it to DEVICE. */
  release(name: string, info?: TargetInfo): void;
  metadata(deviceId?: string): UpdateMetadata;
}

/** Image root 2-of-3, targets 2-of-3 (the repository signs with all three), one key for each other role. */
export function world(): World {
  const clock = { now: T0 };
  const now = () => clock.now;
  const image = new ImageRepository({
    roles: {
      root: { keys: keys.root, threshold: 2 },
      targets: { keys: keys.targets, threshold: 2 },
      snapshot: { keys: [keys.snapshot], threshold: 1 },
      timestamp: { keys: [keys.timestamp], threshold: 1 },
    },
    now,
  });
  const director = new Director({
    roles: { root: { keys: [keys.directorRoot], threshold: 1 }, targets: { keys: [keys.directorTargets], threshold: 1 } },
    now,
  });
  const state = initialTrustState({ imageRoot: image.initialRoot(), directorRoot: director.initialRoot() });
  const w: World = {
    clock,
    image,
    director,
    state,
    release(name, info = targetInfo(name)) {
      image.publish(name, info);
      director.assign(DEVICE, { name, length: info.length, sha256: info.sha256 });
    },
    metadata(deviceId = DEVICE) {
      const forDevice = director.metadataFor(deviceId);
      if (forDevice === undefined) throw new Error(`nothing assigned to ${deviceId}`);
      return { ...image.metadata(), directorRoots: director.roots(), director: forDevice };
    },
  };
  w.release('ame-1.0.0-arm64.tar.gz');
  return w;
}

/** The document with its `signed` part changed by `edit` and signed again by `signers` (none: old signatures kept). */
export function reSign(
  type: RoleType,
  bytes: Uint8Array,
  edit: (signed: CborMap) => CborMap,
  signers?: readonly Ed25519KeyPair[],
): Uint8Array {
  const doc = decodeCbor(bytes) as CborMap;
  const signed = edit({ ...(doc['signed'] as CborMap) });
  if (signers === undefined) return encodeCbor({ ...doc, signed });
  const message = signingMessage(type, encodeCbor(signed));
  const signatures: CborValue[] = signers.map((key) => ({
    keyid: keyIdOf(key.publicKey.bytes),
    sig: key.sign(message),
  }));
  return encodeCbor({ signed, signatures });
}

/** `CODE: message` of the UpdateError `fn` throws, or 'accepted'; anything else it throws fails the test. */
export function refusalOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof UpdateError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}
