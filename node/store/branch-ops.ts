/**
 * Branch operations (docs/store.md "Branches"): fork from a main-line version, merge by fast-forwarding main
 * while main's head is still the branch base, drop by deleting the branch's versions at once.
 */
import { StoreError } from './errors.ts';
import type { LineState, StoreCore } from './store-core.ts';

export function forkLine(core: StoreCore, version: number | undefined): LineState {
  core.checkOpen();
  core.flush();
  const base = version ?? core.main.head.version;
  const info = core.resolve(base);
  if (!core.isMainVersion(base)) throw new StoreError('NOT_FOUND', `version ${base} is not on the main line`);
  const id = core.allocateBranchId();
  core.transact(() => core.engine.writeBranch({ id, base, head: base }));
  const line: LineState = { id, base, head: info, versions: new Set(), status: 'open' };
  core.branches.set(id, line);
  return line;
}

export function mergeLine(core: StoreCore, line: LineState): number {
  core.checkLine(line);
  core.flush();
  if (core.isStale(line)) {
    throw new StoreError('STALE_BRANCH', `branch ${line.id}: main is at ${core.main.head.version}, not its base ${line.base}`);
  }
  const previous = core.state.head;
  core.transact((undo) => {
    undo.push(() => {
      core.state.head = previous;
    });
    core.state.head = line.head.version;
    core.engine.writeState(core.state);
    core.engine.stmts.deleteBranch.run(line.id);
  });
  core.main.head = line.head;
  line.status = 'merged';
  core.branches.delete(line.id);
  return core.main.head.version;
}

export function dropLine(core: StoreCore, line: LineState): void {
  core.checkLine(line);
  core.flush();
  const { engine } = core;
  core.transact(() => {
    for (const v of line.versions) {
      engine.deleteRowsOf(v);
      engine.stmts.deleteStale.run(v);
      engine.stmts.deleteCommit.run(v);
    }
    engine.stmts.deleteBranch.run(line.id);
  });
  for (const v of line.versions) engine.forgetCommit(v);
  line.status = 'dropped';
  core.branches.delete(line.id);
}
