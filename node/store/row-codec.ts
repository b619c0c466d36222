/**
 * Physical rows of the tree. Nodes are still addressed by (version, nibble path) and leaves by (valueVersion,
 * key), but a commit stores them grouped: one row for its nodes at depths 0..2 (the "upper" row) and one row per
 * 3-nibble prefix it touched, holding its nodes at depth ≥ 3 and its leaves under that prefix. A 1,000-key commit
 * into a large tree then appends ~900 rows instead of ~3,700, and its nodes on one key's path land in one row.
 *
 * Row id = version × 4097 + group (0 = upper, 1 + prefix for a prefix group), an integer primary key of a rowid
 * table: a commit's rows get ascending ids above every earlier commit's, so they append.
 *
 * A row has two columns, so a point get copies only the leaves out of SQLite (a node row is ~10× larger, and
 * each byte copied into JavaScript is allocation and GC work). Both encodings are deterministic:
 *   leaves: varint count ‖ per leaf, by key: key (32) ‖ varint length ‖ value
 *   nodes:  varint count ‖ per node, by path: u8 depth ‖ packed nibbles ‖ varint length ‖ node bytes
 */
import { StoreError } from './errors.ts';
import { type NodeBytes, readVarint, varintLength, writeVarint } from './node-codec.ts';
import { HEX_DIGITS, KEY_LENGTH, MAX_DEPTH, nibbleAt } from './nibble-path.ts';

export const GROUP_DEPTH = 3;
export const GROUPS_PER_VERSION = 1 + 16 ** GROUP_DEPTH;
export const UPPER_GROUP = 0;

function hexValue(code: number): number {
  return code <= 57 ? code - 48 : code - 87; // '0'-'9', 'a'-'f'
}

export function groupOfPath(path: string): number {
  if (path.length < GROUP_DEPTH) return UPPER_GROUP;
  let g = 0;
  for (let i = 0; i < GROUP_DEPTH; i++) g = (g << 4) | hexValue(path.charCodeAt(i));
  return 1 + g;
}

export function groupOfKey(key: Uint8Array): number {
  let g = 0;
  for (let i = 0; i < GROUP_DEPTH; i++) g = (g << 4) | (i % 2 === 0 ? key[i >> 1]! >> 4 : key[i >> 1]! & 15);
  return 1 + g;
}

export function rowId(version: number, group: number): number {
  return version * GROUPS_PER_VERSION + group;
}

export function rowVersion(id: number): number {
  return Math.floor(id / GROUPS_PER_VERSION);
}

export function rowGroup(id: number): number {
  return id % GROUPS_PER_VERSION;
}

/** "(version, upper)" or "(version, prefix 3a7)": how verify() names a row. */
export function rowName(id: number): string {
  const group = rowGroup(id);
  const name = group === UPPER_GROUP ? 'upper' : `prefix ${(group - 1).toString(16).padStart(GROUP_DEPTH, '0')}`;
  return `(${rowVersion(id)}, ${name})`;
}

export interface RowLeaf {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface RowNode {
  readonly path: string;
  readonly data: Uint8Array;
}

export function leavesSize(leaves: readonly RowLeaf[], from: number, to: number): number {
  let size = varintLength(to - from);
  for (let i = from; i < to; i++) {
    const length = leaves[i]!.value.length;
    size += KEY_LENGTH + varintLength(length) + length;
  }
  return size;
}

export function nodesSize(paths: readonly string[], nodes: readonly NodeBytes[], from: number, to: number): number {
  let size = varintLength(to - from);
  for (let i = from; i < to; i++) {
    const length = nodes[i]!.length;
    size += 1 + ((paths[i]!.length + 1) >> 1) + varintLength(length) + length;
  }
  return size;
}

/** Writes the leaves part of leaves[from, to) at `start`; returns the end offset. */
export function encodeLeavesInto(out: Uint8Array, start: number, leaves: readonly RowLeaf[], from: number, to: number): number {
  let offset = writeVarint(out, start, to - from);
  for (let i = from; i < to; i++) {
    const leaf = leaves[i]!;
    out.set(leaf.key, offset);
    offset = writeVarint(out, offset + KEY_LENGTH, leaf.value.length);
    out.set(leaf.value, offset);
    offset += leaf.value.length;
  }
  return offset;
}


/** Writes the nodes part of nodes[from, to) (with their paths) at `start`; returns the end offset. */
export function encodeNodesInto(
  out: Uint8Array,
  start: number,
  paths: readonly string[],
  nodes: readonly NodeBytes[],
  from: number,
  to: number,
): number {
  let offset = writeVarint(out, start, to - from);
  for (let i = from; i < to; i++) {
    const node = nodes[i]!;
    const path = paths[i]!;
    out[offset++] = path.length;
    for (let c = 0; c < path.length; c += 2) {
      const hi = hexValue(path.charCodeAt(c));
      const lo = c + 1 < path.length ? hexValue(path.charCodeAt(c + 1)) : 0;
      out[offset++] = (hi << 4) | lo;
    }
    offset = writeVarint(out, offset, node.length);
    out.set(node.buf.subarray(node.off, node.off + node.length), offset);
    offset += node.length;
  }
  return offset;
}

/** Encodes both parts of a row (GC rewrites rows with this). */
export function encodeRow(leaves: readonly RowLeaf[], nodes: readonly RowNode[]): { leaves: Buffer; nodes: Buffer } {
  const paths = nodes.map((n) => n.path);
  const bytes = nodes.map((n): NodeBytes => ({ buf: n.data, off: 0, length: n.data.length }));
  const leafPart = Buffer.allocUnsafe(leavesSize(leaves, 0, leaves.length));
  encodeLeavesInto(leafPart, 0, leaves, 0, leaves.length);
  const nodePart = Buffer.allocUnsafe(nodesSize(paths, bytes, 0, bytes.length));
  encodeNodesInto(nodePart, 0, paths, bytes, 0, bytes.length);
  return { leaves: leafPart, nodes: nodePart };
}

function malformed(what: string): StoreError {
  return new StoreError('CORRUPT', `row is malformed: ${what}`);
}

function keyCompare(data: Uint8Array, offset: number, key: Uint8Array): number {
  for (let i = 0; i < KEY_LENGTH; i++) {
    const d = data[offset + i]! - key[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** The value of `key` in a row's leaves part, as a view into it (the get path: no full decode). */
export function findLeaf(part: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  const count = readVarint(part, 0);
  if (count === undefined) throw malformed('leaf count');
  let offset = count.end;
  for (let i = 0; i < count.value; i++) {
    const length = readVarint(part, offset + KEY_LENGTH);
    if (length === undefined || length.end + length.value > part.length) throw malformed('leaf');
    const order = keyCompare(part, offset, key);
    if (order === 0) return part.subarray(length.end, length.end + length.value);
    if (order > 0) return undefined; // leaves are sorted by key
    offset = length.end + length.value;
  }
  return undefined;
}

/** Decodes a leaves part with structure checks (order, uniqueness, exact length); views into `part`. */
export function decodeLeaves(part: Uint8Array): RowLeaf[] {
  const leaves: RowLeaf[] = [];
  const count = readVarint(part, 0);
  if (count === undefined) throw malformed('leaf count');
  let offset = count.end;
  for (let i = 0; i < count.value; i++) {
    const length = readVarint(part, offset + KEY_LENGTH);
    if (length === undefined || length.end + length.value > part.length) throw malformed('leaf');
    const key = part.subarray(offset, offset + KEY_LENGTH);
    if (leaves.length > 0 && Buffer.compare(leaves[leaves.length - 1]!.key, key) >= 0) throw malformed('leaf order');
    leaves.push({ key, value: part.subarray(length.end, length.end + length.value) });
    offset = length.end + length.value;
  }
  if (offset !== part.length) throw malformed('trailing bytes after the leaves');
  return leaves;
}

/** Decodes a nodes part with structure checks (paths, order, exact length); views into `part`. */
export function decodeNodes(part: Uint8Array): RowNode[] {
  const nodes: RowNode[] = [];
  const count = readVarint(part, 0);
  if (count === undefined) throw malformed('node count');
  let offset = count.end;
  for (let i = 0; i < count.value; i++) {
    const depth = part[offset];
    if (depth === undefined || depth >= MAX_DEPTH) throw malformed('node depth');
    const packedEnd = offset + 1 + ((depth + 1) >> 1);
    if (packedEnd > part.length) throw malformed('node path');
    let path = '';
    const packed = part.subarray(offset + 1, packedEnd);
    for (let d = 0; d < depth; d++) path += HEX_DIGITS[nibbleAt(packed, d)];
    if ((depth & 1) === 1 && (packed[packed.length - 1]! & 15) !== 0) throw malformed('node path padding');
    const length = readVarint(part, packedEnd);
    if (length === undefined || length.end + length.value > part.length) throw malformed('node');
    if (nodes.length > 0 && nodes[nodes.length - 1]!.path >= path) throw malformed('node order');
    nodes.push({ path, data: part.subarray(length.end, length.end + length.value) });
    offset = length.end + length.value;
  }
  if (offset !== part.length) throw malformed('trailing bytes after the nodes');
  return nodes;
}

export function decodeRow(leavesPart: Uint8Array, nodesPart: Uint8Array): { leaves: RowLeaf[]; nodes: RowNode[] } {
  return { leaves: decodeLeaves(leavesPart), nodes: decodeNodes(nodesPart) };
}
