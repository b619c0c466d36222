/**
 * verify(): recomputes everything the rows claim and reports each disagreement with its table and row.
 *
 * - commits: each chain hash from its parent's; each root reference against its check bytes and, for retained
 *   versions, against the root hash; every commit on the main line or an open branch; the state and branches
 *   rows against their check hashes.
 * - nodes: every row decodes, holds only nodes and leaves of its own version and group, and each internal node
 *   is canonical and records, for every child, a node or leaf that exists and hashes to what it records.
 * - stale: each retained commit's stale row equals the set of nodes it replaced, recomputed from the two trees.
 *
 * Every retained node is reachable from a retained commit or listed in a retained stale row, so a changed byte
 * anywhere shows up as a wrong hash, a missing or misplaced entry, or a malformed row.
 */
import { decodeInternal, emptyRoot, HASH_LENGTH, type InternalNode, LEAF, leafHash, sha256 } from './node-codec.ts';
import { GenerationalCache } from './lru.ts';
import { hexNibble, isNodePath, keyHasPrefix, keyHex } from './nibble-path.ts';
import { decodeRootRef, decodeStale, type RootRef, staleEntryId } from './refs.ts';
import { decodeRow, groupOfKey, groupOfPath, rowGroup, rowId, rowName, rowVersion } from './row-codec.ts';
import { branchCheck, chainHash, refCheck, stateCheck } from './sqlite-engine.ts';
import type { StoreCore } from './store-core.ts';
import { staleNodeIds } from './tree-diff.ts';

export type VerifyTable = 'nodes' | 'commits' | 'stale' | 'branches' | 'state';

export interface VerifyProblem {
  table: VerifyTable;
  /** Which row (and, in a nodes row, which node or leaf): e.g. 'node (12, "3a")', '12'. */
  row: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  problems: VerifyProblem[];
  /** More problems existed than the report lists. */
  truncated: boolean;
  checked: { commits: number; rows: number; nodes: number; leafRefs: number; staleRows: number };
}

const MAX_PROBLEMS = 1000;

interface CommitRow {
  parent: number;
  root: Buffer;
  ref: RootRef | null | 'bad';
  chain: Buffer;
}

interface DecodedRow {
  leaves: Map<string, Uint8Array>;
  nodes: Map<string, Uint8Array>;
}

class MissingRow extends Error {
  readonly row: string;

  constructor(row: string) {
    super(`${row} is missing`);
    this.row = row;
  }
}

const nodeName = (v: number, p: string): string => `node (${v}, "${p}")`;
const leafName = (v: number, key: Uint8Array): string => `leaf (${v}, ${keyHex(key)})`;

export function verifyStore(core: StoreCore): VerifyReport {
  const problems: VerifyProblem[] = [];
  const checked = { commits: 0, rows: 0, nodes: 0, leafRefs: 0, staleRows: 0 };
  let truncated = false;
  try {
    truncated = verifyInto(core, problems, checked);
  } catch (error) {
    // A row SQLite itself cannot return (an integer out of range, a damaged page) ends the check here.
    problems.push({ table: 'nodes', row: '?', message: `verification stopped: ${(error as Error).message}` });
  }
  return { ok: problems.length === 0 && !truncated, problems, truncated, checked };
}

function verifyInto(core: StoreCore, problems: VerifyProblem[], checked: VerifyReport['checked']): boolean {
  const { db, stmts } = core.engine;
  let truncated = false;
  const report = (table: VerifyTable, row: string, message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ table, row, message });
    else truncated = true;
  };

  // Rows and hashes are recomputed from the database, never taken from the store's caches.
  const rows = new GenerationalCache<DecodedRow | null>(4096);
  const rowAt = (id: number): DecodedRow | null | undefined => {
    const key = String(id);
    const memo = rows.get(key);
    if (memo !== undefined) return memo;
    const data = stmts.getRow.get(id);
    if (data === undefined) return undefined;
    let decoded: DecodedRow | null = null;
    try {
      const row = decodeRow(data.l, data.n);
      decoded = {
        leaves: new Map(row.leaves.map((l) => [keyHex(l.key), l.value])),
        nodes: new Map(row.nodes.map((n) => [n.path, n.data])),
      };
    } catch {
      // reported by the scan of rows
    }
    rows.set(key, decoded);
    return decoded;
  };
  const nodeHashes = new GenerationalCache<Buffer | null>(1 << 20);
  /** undefined: missing; null: present but malformed (reported where the row is scanned). */
  const internalHash = (v: number, p: string): Buffer | null | undefined => {
    const id = `${v}/${p}`;
    const memo = nodeHashes.get(id);
    if (memo !== undefined) return memo;
    const row = rowAt(rowId(v, groupOfPath(p)));
    if (row === null) return null;
    const data = row?.nodes.get(p);
    if (data === undefined) return undefined;
    let hash: Buffer | null = null;
    try {
      hash = Buffer.from(decodeInternal(data, v).hash());
    } catch {
      // reported by the scan of rows
    }
    nodeHashes.set(id, hash);
    return hash;
  };
  const leafRowHash = (v: number, key: Uint8Array): Buffer | null | undefined => {
    const row = rowAt(rowId(v, groupOfKey(key)));
    if (row === null) return null;
    const value = row?.leaves.get(keyHex(key));
    return value === undefined ? undefined : leafHash(key, sha256(value));
  };

  // --- state and branches rows
  const stateRows = db.prepare<[], { head: number; next: number; horizon: number; chk: Buffer }>('SELECT head, next, horizon, chk FROM state').all();
  const state = stateRows[0] ?? { head: 0, next: 1, horizon: 0, chk: Buffer.alloc(0) };
  if (stateRows.length === 1 && !stateCheck(state).equals(state.chk)) report('state', '1', 'does not match its check hash');
  const branchRows = db.prepare<[], { id: number; base: number; head: number; chk: Buffer }>('SELECT id, base, head, chk FROM branches').all();
  for (const b of branchRows) if (!branchCheck(b).equals(b.chk)) report('branches', String(b.id), 'does not match its check hash');
  const horizon = state.horizon;

  // --- commits: chain hashes and root references
  const commits = new Map<number, CommitRow>();
  let maxVersion = 0;
  const commitRows = db.prepare<[], { v: number; parent: number; root: Buffer; ref: Buffer | null; chain: Buffer; chk: Buffer }>(
    'SELECT v, parent, root, ref, chain, chk FROM commits ORDER BY v',
  );
  for (const row of commitRows.iterate()) {
    checked.commits += 1;
    maxVersion = Math.max(maxVersion, row.v);
    let ref: RootRef | null | 'bad' = null;
    if (!refCheck(row.v, row.ref).equals(row.chk)) {
      ref = 'bad';
      report('commits', String(row.v), 'root reference does not match its check bytes');
    } else if (row.ref !== null) {
      try {
        ref = decodeRootRef(row.ref);
      } catch {
        ref = 'bad';
        report('commits', String(row.v), 'root reference is malformed');
      }
    }
    commits.set(row.v, { parent: row.parent, root: row.root, ref, chain: row.chain });
    const parent = row.parent === 0 ? undefined : commits.get(row.parent);
    if (row.parent >= row.v || (row.parent !== 0 && parent === undefined)) {
      report('commits', String(row.v), `parent ${row.parent} is not an earlier commit`);
    } else if (row.root.length !== HASH_LENGTH || row.chain.length !== HASH_LENGTH) {
      report('commits', String(row.v), 'root or chain hash has a wrong length');
    } else if (!chainHash(parent?.chain ?? emptyRoot(), row.v, row.root).equals(row.chain)) {
      report('commits', String(row.v), 'chain hash does not match H(parent chain ‖ version ‖ root)');
    }
  }

  // --- every commit on a line; the state row consistent with the commits
  const onLine = new Set<number>();
  const walkLine = (from: number, to: number, table: VerifyTable, row: string): void => {
    let v = from;
    while (v > to) {
      const c = commits.get(v);
      if (c === undefined || onLine.has(v)) {
        report(table, row, `its history is broken at version ${v}`);
        return;
      }
      onLine.add(v);
      v = c.parent;
    }
    if (v !== to) report(table, row, `its history does not reach version ${to}`);
  };
  walkLine(state.head, 0, 'state', '1');
  const mainLine = new Set(onLine);
  for (const b of branchRows) {
    if (b.base !== 0 && !mainLine.has(b.base)) report('branches', String(b.id), `base ${b.base} is not on the main line`);
    walkLine(b.head, b.base, 'branches', String(b.id));
  }
  for (const v of commits.keys()) if (!onLine.has(v)) report('commits', String(v), 'is on no line (main or open branch)');
  if (state.next <= maxVersion) report('state', '1', `next version ${state.next} is not above every commit`);
  if (horizon > state.head) report('state', '1', `horizon ${horizon} is above the head ${state.head}`);

  // --- nodes rows: structure, placement, and every child against what its parent records
  const checkNode = (v: number, path: string, data: Uint8Array): void => {
    checked.nodes += 1;
    const name = nodeName(v, path);
    let node: InternalNode;
    try {
      node = decodeInternal(data, v);
    } catch (error) {
      report('nodes', name, (error as Error).message);
      return;
    }
    if (node.count === 0 || (node.count === 1 && node.leafmap !== 0)) report('nodes', name, 'is not canonical');
    for (let n = 0; n < 16; n++) {
      if (!node.has(n)) continue;
      const cv = node.childVersion(n);
      const childPath = path + hexNibble(n);
      if (cv > v) report('nodes', name, `child ${hexNibble(n)} has a later version ${cv}`);
      const recorded = Buffer.from(node.childHash(n));
      if (node.isLeaf(n)) {
        checked.leafRefs += 1;
        const key = node.leafKey(n);
        if (!keyHasPrefix(key, childPath)) report('nodes', name, `leaf child ${hexNibble(n)} is off its path`);
        const actual = leafRowHash(cv, key);
        if (actual === undefined) report('nodes', leafName(cv, key), `is missing (child of ${name})`);
        else if (actual !== null && !actual.equals(recorded)) report('nodes', leafName(cv, key), `hash differs from what ${name} records`);
      } else {
        const actual = internalHash(cv, childPath);
        if (actual === undefined) report('nodes', nodeName(cv, childPath), `is missing (child of ${name})`);
        else if (actual !== null && !actual.equals(recorded)) report('nodes', nodeName(cv, childPath), `hash differs from what ${name} records`);
      }
    }
  };
  for (const row of db.prepare<[], { id: number; l: Buffer; n: Buffer }>('SELECT id, l, n FROM nodes ORDER BY id').iterate()) {
    checked.rows += 1;
    const v = rowVersion(row.id);
    const group = rowGroup(row.id);
    const name = `row ${rowName(row.id)}`;
    if (!commits.has(v)) report('nodes', name, `version ${v} has no commit`);
    let decoded;
    try {
      decoded = decodeRow(row.l, row.n);
    } catch (error) {
      report('nodes', name, (error as Error).message);
      continue;
    }
    if (decoded.leaves.length === 0 && decoded.nodes.length === 0) report('nodes', name, 'is empty');
    for (const leaf of decoded.leaves) {
      if (groupOfKey(leaf.key) !== group) report('nodes', leafName(v, leaf.key), `is in the wrong row ${name}`);
    }
    for (const entry of decoded.nodes) {
      if (!isNodePath(entry.path) || groupOfPath(entry.path) !== group) {
        report('nodes', nodeName(v, entry.path), `is in the wrong row ${name}`);
        continue;
      }
      checkNode(v, entry.path, entry.data);
    }
  }

  // --- roots: each commit's root reference against its root hash
  for (const [v, c] of commits) {
    if (c.ref === 'bad') continue;
    if (c.ref === null) {
      if (!c.root.equals(emptyRoot())) report('commits', String(v), 'has no root node but a non-empty root');
      continue;
    }
    if (c.ref.version > v) report('commits', String(v), 'root reference points to a later version');
    const isLeaf = c.ref.kind === LEAF;
    const actual = isLeaf ? leafRowHash(c.ref.version, c.ref.key!) : internalHash(c.ref.version, '');
    const target = isLeaf ? leafName(c.ref.version, c.ref.key!) : nodeName(c.ref.version, '');
    // Below the horizon a root may be gone; if it should still be there, the stale check names it.
    if (actual === undefined && v >= horizon) report('nodes', target, `is missing (root of commit ${v})`);
    else if (actual !== undefined && actual !== null && !actual.equals(c.root)) {
      report('nodes', target, `hash differs from the root of commit ${v}`);
    }
  }

  // --- stale index: stored rows against the recomputed difference of each retained commit
  const staleRows = new Map<number, Buffer>();
  for (const row of db.prepare<[], { v: number; d: Buffer }>('SELECT v, d FROM stale').iterate()) {
    checked.staleRows += 1;
    staleRows.set(row.v, row.d);
    if (!commits.has(row.v) || row.v <= horizon) report('stale', String(row.v), 'belongs to no retained commit');
  }
  const source = {
    node(version: number, path: string) {
      const data = rowAt(rowId(version, groupOfPath(path)))?.nodes.get(path);
      if (data === undefined) throw new MissingRow(nodeName(version, path));
      try {
        return decodeInternal(data, version);
      } catch {
        throw new MissingRow(nodeName(version, path));
      }
    },
  };
  for (const [v, c] of commits) {
    if (v <= horizon || c.ref === 'bad') continue;
    const parent = c.parent === 0 ? null : commits.get(c.parent);
    if (parent === undefined || parent?.ref === 'bad') continue;
    let expected: string[];
    try {
      expected = staleNodeIds(source, parent === null ? null : parent.ref, c.ref);
    } catch (error) {
      if (!(error instanceof MissingRow)) throw error;
      report('nodes', error.row, `is missing or malformed (needed to recompute the stale row of ${v})`);
      continue;
    }
    const data = staleRows.get(v);
    let stored: string[] = [];
    if (data !== undefined) {
      try {
        stored = decodeStale(data).map(staleEntryId).sort();
      } catch (error) {
        report('stale', String(v), (error as Error).message);
        continue;
      }
    }
    if (stored.length !== expected.length || stored.some((id, i) => id !== expected[i])) {
      report('stale', String(v), `lists ${stored.length} nodes; the commit replaced ${expected.length}`);
      continue;
    }
    for (const id of stored) {
      if (!id.startsWith('l:')) continue;
      const [, version, hex] = id.split(':');
      const key = Buffer.from(hex!, 'hex');
      if (leafRowHash(Number(version), key) === undefined) {
        report('nodes', leafName(Number(version), key), `is missing (stale since ${v}, not yet collected)`);
      }
    }
  }
  return truncated;
}
