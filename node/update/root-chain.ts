/**
 * The device's walk up a chain of roots (TUF §5.3): each new root must be the next version and carry a threshold
 * of the previous root's root keys and of its own; the last one must not have expired. Roots at or below the
 * trusted version are skipped, so a repository may always hand out its whole chain.
 */
import { UpdateError } from './errors.ts';
import { checkThreshold, decodeDocument } from './metadata.ts';
import type { Repository, RootSigned } from './roles.ts';
import type { TrustedRoot } from './trust-state.ts';

export function walkRootChain(
  trusted: TrustedRoot,
  chain: readonly Uint8Array[],
  repository: Repository,
  now: number,
): TrustedRoot {
  let current = trusted;
  chain.forEach((bytes, i) => {
    const what = `${repository} root [${i}]`;
    const doc = decodeDocument('root', bytes, what);
    const next = doc.signed;
    if (next.version <= current.signed.version) return;
    if (next.version !== current.signed.version + 1) {
      throw new UpdateError('MALFORMED', `${what}: version ${next.version} skips from trusted v${current.signed.version}`);
    }
    if (next.repository !== repository) {
      throw new UpdateError('MALFORMED', `${what}: is a root of the ${next.repository} repository`);
    }
    checkThreshold(doc, current.signed, 'root', `${what} v${next.version} under the old root`);
    checkThreshold(doc, next, 'root', `${what} v${next.version} under its own keys`);
    current = { bytes: doc.bytes, signed: next };
  });
  if (now >= current.signed.expires) {
    throw new UpdateError('EXPIRED', `${repository} root v${current.signed.version} expired at ${iso(current.signed.expires)}`);
  }
  return current;
}

/**
 * True when `after` drops a key that `before` gave `role`: a revocation, after which versions that key may have
 * inflated (a fast-forward attack) must stop blocking the honest ones (TUF §5.3.11). Adding keys changes nothing.
 */
export function keysRevoked(before: RootSigned, after: RootSigned, role: string): boolean {
  const kept = new Set(after.roles[role]?.keyids ?? []);
  return (before.roles[role]?.keyids ?? []).some((id) => !kept.has(id));
}

export function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}
