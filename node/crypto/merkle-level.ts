/**
 * One level up a binary Merkle tree whose odd last node moves up unchanged (the shape the service log and blob
 * trees share; each hashes its nodes under its own domain tag, passed in as `node`).
 */
export function merkleLevelUp(level: readonly Uint8Array[], node: (left: Uint8Array, right: Uint8Array) => Uint8Array): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1];
    next.push(right === undefined ? left : node(left, right));
  }
  return next;
}
