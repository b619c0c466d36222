/**
 * The device's check of one update (TUF client workflow, then Uptane's agreement check), in this order:
 *   1. image root chain, director root chain (each new root under the old and its own root keys; not expired);
 *   2. timestamp: threshold of the timestamp keys, no rollback of it or of the snapshot version it names, not expired;
 *   3. snapshot: the length and hash the timestamp names, its version, threshold, no rollback, not expired;
 *   4. targets: the length, hash and version the snapshot names, threshold, no rollback, not expired;
 *   5. director: threshold of the director's targets keys, this device, no rollback, not expired;
 *   6. the director's target is listed by the image targets with the same length and SHA-256.
 * Pure: the state comes in, a new state comes out only on success, so a refused update changes nothing.
 */
import { bytesEqual, sha256, toHex } from '../crypto/index.ts';
import { UpdateError } from './errors.ts';
import { checkThreshold, decodeDocument, type Document } from './metadata.ts';
import type { FileMeta, RoleType, RootSigned, TargetInfo } from './roles.ts';
import { iso, keysRevoked, walkRootChain } from './root-chain.ts';
import type { TrustedVersions, TrustState } from './trust-state.ts';

/** Everything a device fetched for one check, as raw bytes. */
export interface UpdateMetadata {
  readonly imageRoots: readonly Uint8Array[];
  readonly timestamp: Uint8Array;
  readonly snapshot: Uint8Array;
  readonly targets: Uint8Array;
  readonly directorRoots: readonly Uint8Array[];
  readonly director: Uint8Array;
}

export interface VerifyContext {
  readonly deviceId: string;
  /** Trusted time in ms: consensus time from the ledger, or NTP (SPEC §10). */
  readonly now: number;
}

export interface VerifiedTarget extends TargetInfo {
  readonly name: string;
}

export interface VerifiedUpdate {
  readonly target: VerifiedTarget;
  readonly nextState: TrustState;
}

function notBelow(what: string, version: number, trusted: number): void {
  if (version < trusted) throw new UpdateError('ROLLBACK', `${what} v${version} is older than trusted v${trusted}`);
}

function notExpired(doc: Document<RoleType>, what: string, now: number): void {
  const { expires, version } = doc.signed;
  if (now >= expires) throw new UpdateError('EXPIRED', `${what} v${version} expired at ${iso(expires)}`);
}

function matchesMeta(bytes: Uint8Array, meta: FileMeta, what: string, namedBy: string): void {
  if (bytes.length !== meta.length) {
    throw new UpdateError('MIX_AND_MATCH', `${what}: ${bytes.length} bytes, but ${namedBy} names ${meta.length}`);
  }
  if (!bytesEqual(sha256(bytes), meta.sha256)) {
    throw new UpdateError('MIX_AND_MATCH', `${what}: its SHA-256 is not the one ${namedBy} names`);
  }
}

/**
 * A document another one pins (snapshot by the timestamp, targets by the snapshot): the very bytes named, signed
 * by a threshold of its role, and the version named. Any difference means documents from different publications.
 */
function pinned<T extends 'snapshot' | 'targets'>(
  type: T,
  bytes: Uint8Array,
  meta: FileMeta,
  namedBy: string,
  root: RootSigned,
): Document<T> {
  matchesMeta(bytes, meta, type, namedBy);
  const doc = decodeDocument(type, bytes);
  checkThreshold(doc, root, type);
  if (doc.signed.version !== meta.version) {
    throw new UpdateError('MIX_AND_MATCH', `${type} v${doc.signed.version}, but ${namedBy} names v${meta.version}`);
  }
  return doc;
}

/** Versions the device keeps after root rotation: a role whose keys were revoked starts over (TUF §5.3.11). */
function versionsAfterRotation(state: TrustState, image: RootSigned, director: RootSigned): TrustedVersions {
  const before = state.imageRoot.signed;
  const fresh = keysRevoked(before, image, 'timestamp') || keysRevoked(before, image, 'snapshot');
  const { versions } = state;
  return {
    timestamp: fresh ? 0 : versions.timestamp,
    snapshot: fresh ? 0 : versions.snapshot,
    targets: keysRevoked(before, image, 'targets') ? 0 : versions.targets,
    director: keysRevoked(state.directorRoot.signed, director, 'targets') ? 0 : versions.director,
  };
}

export function verifyUpdate(state: TrustState, metadata: UpdateMetadata, context: VerifyContext): VerifiedUpdate {
  const { now, deviceId } = context;
  const imageRoot = walkRootChain(state.imageRoot, metadata.imageRoots, 'image', now);
  const directorRoot = walkRootChain(state.directorRoot, metadata.directorRoots, 'director', now);
  const trusted = versionsAfterRotation(state, imageRoot.signed, directorRoot.signed);

  const timestamp = decodeDocument('timestamp', metadata.timestamp);
  checkThreshold(timestamp, imageRoot.signed, 'timestamp');
  notBelow('timestamp', timestamp.signed.version, trusted.timestamp);
  notBelow('snapshot named by the timestamp', timestamp.signed.snapshot.version, trusted.snapshot);
  notExpired(timestamp, 'timestamp', now);

  const namedBySnapshot = `timestamp v${timestamp.signed.version}`;
  const snapshot = pinned('snapshot', metadata.snapshot, timestamp.signed.snapshot, namedBySnapshot, imageRoot.signed);
  notBelow('snapshot', snapshot.signed.version, trusted.snapshot);
  notBelow('targets named by the snapshot', snapshot.signed.targets.version, trusted.targets);
  notExpired(snapshot, 'snapshot', now);

  const namedByTargets = `snapshot v${snapshot.signed.version}`;
  const targets = pinned('targets', metadata.targets, snapshot.signed.targets, namedByTargets, imageRoot.signed);
  notBelow('targets', targets.signed.version, trusted.targets);
  notExpired(targets, 'targets', now);

  const director = decodeDocument('director', metadata.director, 'director metadata');
  checkThreshold(director, directorRoot.signed, 'targets', 'director metadata');
  if (director.signed.device !== deviceId) {
    throw new UpdateError('WRONG_DEVICE', `director metadata names device ${JSON.stringify(director.signed.device)}, not this one`);
  }
  notBelow('director metadata', director.signed.version, trusted.director);
  notExpired(director, 'director metadata', now);

  const wanted = director.signed.target;
  const listed = Object.hasOwn(targets.signed.targets, wanted.name) ? targets.signed.targets[wanted.name] : undefined;
  if (listed === undefined) {
    throw new UpdateError('NOT_LISTED', `the director names ${wanted.name}, which image targets v${targets.signed.version} does not list`);
  }
  if (listed.length !== wanted.length || !bytesEqual(listed.sha256, wanted.sha256)) {
    throw new UpdateError(
      'NOT_LISTED',
      `the director names ${wanted.name} with ${wanted.length} bytes and SHA-256 ${toHex(wanted.sha256).slice(0, 16)}…, ` +
        `the image repository lists ${listed.length} bytes and ${toHex(listed.sha256).slice(0, 16)}…`,
    );
  }

  return {
    target: { name: wanted.name, ...listed },
    nextState: {
      imageRoot,
      directorRoot,
      versions: {
        timestamp: timestamp.signed.version,
        snapshot: snapshot.signed.version,
        targets: targets.signed.version,
        director: director.signed.version,
      },
    },
  };
}
