/**
 * A branch: a tentative line of commits forked from a main-line version (a tentative block). Same read/write
 * API as the store; merge() fast-forwards main to the branch head while main's head is still the branch base,
 * drop() deletes the branch's versions at once. Once main moves past the base the branch is stale: it can be
 * read and dropped, nothing else (STALE_BRANCH). A merged or dropped branch refuses every call (CLOSED).
 */
import { dropLine, mergeLine } from './branch-ops.ts';
import { LineView } from './line-view.ts';

export class Branch extends LineView {
  get id(): number {
    return this.line.id;
  }

  /** The main-line version this branch forked from. */
  get base(): number {
    return this.line.base;
  }

  /** True once main's head is no longer this branch's base. */
  get stale(): boolean {
    return this.core.isStale(this.line);
  }

  /** Fast-forwards main to this branch's head; returns main's new head. */
  merge(): number {
    return mergeLine(this.core, this.line);
  }

  drop(): void {
    dropLine(this.core, this.line);
  }
}
