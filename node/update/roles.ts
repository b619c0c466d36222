/**
 * The signed parts of the TUF roles (root, targets, snapshot, timestamp) and of the director's per-device targets,
 * as wire schemas plus the checks a schema cannot say (key ids that match their keys, satisfiable thresholds,
 * portable target names). Times are milliseconds since the epoch; versions start at 1.
 */
import { Ed25519PublicKey, sha256, toHex } from '../crypto/index.ts';
import { s, type Infer, WireError } from '../wire/index.ts';
import { UpdateError } from './errors.ts';

export const SPEC_VERSION = 'ame-tuf/1';
export const MAX_KEYS = 32;
export const MAX_TARGETS = 10_000;
/** A portable name: a target file name, a bundle name, a version or an arch. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

export type RoleType = 'root' | 'targets' | 'snapshot' | 'timestamp' | 'director';
export type Repository = 'image' | 'director';
/** The roles each repository's root must delegate: the director signs only per-device targets. */
export const REQUIRED_ROLES: Readonly<Record<Repository, readonly string[]>> = {
  image: ['root', 'targets', 'snapshot', 'timestamp'],
  director: ['root', 'targets'],
};

const keyId = s.text({ min: 64, max: 64 });
const hash = s.bytes({ len: 32 });
const name = s.text({ min: 1, max: 128 });

const publicKey = s.struct({ scheme: s.literal('ed25519'), public: s.bytes({ len: 32 }) });
const role = s.struct({ keyids: s.array(keyId, { min: 1, max: MAX_KEYS }), threshold: s.uint({ max: MAX_KEYS }) });

export const rootSchema = s.struct({
  type: s.literal('root'),
  spec: s.literal(SPEC_VERSION),
  repository: s.text({ max: 16 }),
  version: s.uint(),
  expires: s.uint(),
  keys: s.record(publicKey, { max: MAX_KEYS * 4 }),
  roles: s.record(role, { max: 8 }),
});

const targetInfo = s.struct({
  length: s.uint(),
  sha256: hash,
  custom: s.struct({ name, version: name, arch: name }),
});
export const targetsSchema = s.struct({
  type: s.literal('targets'),
  version: s.uint(),
  expires: s.uint(),
  targets: s.record(targetInfo, { max: MAX_TARGETS }),
});

const fileMeta = s.struct({ version: s.uint(), length: s.uint(), sha256: hash });
export const snapshotSchema = s.struct({
  type: s.literal('snapshot'),
  version: s.uint(),
  expires: s.uint(),
  targets: fileMeta,
});
export const timestampSchema = s.struct({
  type: s.literal('timestamp'),
  version: s.uint(),
  expires: s.uint(),
  snapshot: fileMeta,
});

const directorTarget = s.struct({ name, length: s.uint(), sha256: hash });
export const directorSchema = s.struct({
  type: s.literal('director'),
  device: s.text({ min: 1, max: 128 }),
  version: s.uint(),
  expires: s.uint(),
  target: directorTarget,
});

export type RootSigned = Infer<typeof rootSchema>;
export type TargetsSigned = Infer<typeof targetsSchema>;
export type SnapshotSigned = Infer<typeof snapshotSchema>;
export type TimestampSigned = Infer<typeof timestampSchema>;
export type DirectorSigned = Infer<typeof directorSchema>;
export type TargetInfo = Infer<typeof targetInfo>;
export type DirectorTarget = Infer<typeof directorTarget>;
export type FileMeta = Infer<typeof fileMeta>;
export type RoleKeys = RootSigned['roles'][string];

export interface SignedOf {
  root: RootSigned;
  targets: TargetsSigned;
  snapshot: SnapshotSigned;
  timestamp: TimestampSigned;
  director: DirectorSigned;
}

/** keyid = hex SHA-256 of the raw 32-byte Ed25519 public key. */
export function keyIdOf(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey));
}

function malformed(what: string, message: string): UpdateError {
  return new UpdateError('MALFORMED', `${what}: ${message}`);
}

function checkVersion(what: string, version: number): void {
  if (version < 1) throw malformed(what, 'version must be at least 1');
}

function checkRoot(what: string, root: RootSigned): void {
  if (root.repository !== 'image' && root.repository !== 'director') {
    throw malformed(what, `repository must be "image" or "director"`);
  }
  for (const [id, key] of Object.entries(root.keys)) {
    if (keyIdOf(key.public) !== id) throw malformed(what, `key id ${id.slice(0, 16)}… is not the SHA-256 of its key`);
    try {
      new Ed25519PublicKey(key.public);
    } catch (cause) {
      throw new UpdateError('MALFORMED', `${what}: key ${id.slice(0, 16)}… is not an Ed25519 public key`, { cause });
    }
  }
  for (const required of REQUIRED_ROLES[root.repository]) {
    if (!Object.hasOwn(root.roles, required)) throw malformed(what, `the ${required} role is missing`);
  }
  for (const [roleName, { keyids, threshold }] of Object.entries(root.roles)) {
    if (!REQUIRED_ROLES[root.repository].includes(roleName)) throw malformed(what, `unknown role ${roleName}`);
    if (new Set(keyids).size !== keyids.length) throw malformed(what, `role ${roleName} lists a key twice`);
    for (const id of keyids) {
      if (!Object.hasOwn(root.keys, id)) throw malformed(what, `role ${roleName} names unknown key ${id.slice(0, 16)}…`);
    }
    if (threshold < 1 || threshold > keyids.length) {
      throw malformed(what, `role ${roleName} has threshold ${threshold} for ${keyids.length} keys`);
    }
  }
}

function checkName(what: string, field: string, value: string): void {
  if (!NAME_PATTERN.test(value)) throw malformed(what, `${field} ${JSON.stringify(value.slice(0, 40))} is not a portable name`);
}

const schemas = {
  root: rootSchema,
  targets: targetsSchema,
  snapshot: snapshotSchema,
  timestamp: timestampSchema,
  director: directorSchema,
} as const;

/** Validates the `signed` part of a document of `type`; throws UpdateError MALFORMED naming the field. */
export function parseSigned<T extends RoleType>(type: T, value: unknown, what: string = type): SignedOf[T] {
  let signed: SignedOf[T];
  try {
    signed = schemas[type].parse(value, 'signed') as SignedOf[T];
  } catch (error) {
    if (error instanceof WireError) throw new UpdateError('MALFORMED', `${what}: ${error.message}`, { cause: error });
    throw error;
  }
  const known = signed as SignedOf[RoleType];
  checkVersion(what, known.version);
  if (known.type === 'root') checkRoot(what, known);
  if (known.type === 'targets') {
    for (const targetName of Object.keys(known.targets)) checkName(what, 'target name', targetName);
  }
  if (known.type === 'director') checkName(what, 'target name', known.target.name);
  return signed;
}
