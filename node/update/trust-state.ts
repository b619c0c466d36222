/**
 * What a device trusts between update checks: the latest verified root of the image repository and of the
 * director, and the highest version it has accepted of every other role (its director version is per device by
 * construction: a device only ever accepts documents naming itself). Serialised as JSON so the device agent can
 * write it atomically (temp file + rename) next to its other state.
 */
import { fromHex, toHex } from '../crypto/index.ts';
import { UpdateError } from './errors.ts';
import { checkThreshold, decodeDocument } from './metadata.ts';
import type { Repository, RootSigned } from './roles.ts';

export const TRUST_STATE_FORMAT = 'ame-update-trust/1';

export interface TrustedRoot {
  readonly bytes: Uint8Array;
  readonly signed: RootSigned;
}

export interface TrustedVersions {
  readonly timestamp: number;
  readonly snapshot: number;
  readonly targets: number;
  readonly director: number;
}

export interface TrustState {
  readonly imageRoot: TrustedRoot;
  readonly directorRoot: TrustedRoot;
  readonly versions: TrustedVersions;
}

const VERSION_NAMES = ['timestamp', 'snapshot', 'targets', 'director'] as const;

/** Decodes a root the device holds; `selfSigned` also checks it carries a threshold of its own root keys. */
export function trustedRoot(bytes: Uint8Array, repository: Repository, selfSigned: boolean): TrustedRoot {
  const what = `${repository} root`;
  const doc = decodeDocument('root', bytes, what);
  if (doc.signed.repository !== repository) {
    throw new UpdateError('MALFORMED', `${what}: is a root of the ${doc.signed.repository} repository`);
  }
  if (selfSigned) checkThreshold(doc, doc.signed, 'root', what);
  return { bytes: doc.bytes, signed: doc.signed };
}

/**
 * The state of a device that has seen nothing but the roots it shipped with (out of band: the image or the
 * first-boot config). Each root must carry a threshold of its own root keys, which catches a corrupted copy.
 */
export function initialTrustState(roots: { readonly imageRoot: Uint8Array; readonly directorRoot: Uint8Array }): TrustState {
  return {
    imageRoot: trustedRoot(roots.imageRoot, 'image', true),
    directorRoot: trustedRoot(roots.directorRoot, 'director', true),
    versions: { timestamp: 0, snapshot: 0, targets: 0, director: 0 },
  };
}

export function serializeTrustState(state: TrustState): string {
  return JSON.stringify({
    format: TRUST_STATE_FORMAT,
    imageRoot: toHex(state.imageRoot.bytes),
    directorRoot: toHex(state.directorRoot.bytes),
    versions: state.versions,
  });
}

function field(object: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(object, name)) throw new UpdateError('MALFORMED', `trust state: ${name} is missing`);
  return object[name];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hexField(object: Record<string, unknown>, name: string): Uint8Array {
  const value = field(object, name);
  if (typeof value !== 'string') throw new UpdateError('MALFORMED', `trust state: ${name} must be hex text`);
  try {
    return fromHex(value, name);
  } catch (cause) {
    throw new UpdateError('MALFORMED', `trust state: ${name} is not valid hex`, { cause });
  }
}

/** Reads what serializeTrustState wrote; the roots were verified when they were trusted, so only decoded here. */
export function parseTrustState(text: string): TrustState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new UpdateError('MALFORMED', 'trust state is not JSON', { cause });
  }
  if (!isObject(json)) throw new UpdateError('MALFORMED', 'trust state must be a JSON object');
  if (field(json, 'format') !== TRUST_STATE_FORMAT) {
    throw new UpdateError('MALFORMED', `trust state: format must be ${TRUST_STATE_FORMAT}`);
  }
  const versions = field(json, 'versions');
  if (!isObject(versions)) throw new UpdateError('MALFORMED', 'trust state: versions must be an object');
  const parsed: Record<string, number> = {};
  for (const name of VERSION_NAMES) {
    const value = field(versions, name);
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw new UpdateError('MALFORMED', `trust state: versions.${name} must be a non-negative integer`);
    }
    parsed[name] = value as number;
  }
  return {
    imageRoot: trustedRoot(hexField(json, 'imageRoot'), 'image', false),
    directorRoot: trustedRoot(hexField(json, 'directorRoot'), 'director', false),
    versions: parsed as unknown as TrustedVersions,
  };
}
