/**
 * The simulator's judge. Safety: no two honest nodes finalise different blocks at one height. Confirmation: a
 * block final "by successor" is an ancestor of a block the same node holds a certificate for, and every
 * certificate has a quorum of distinct signers for its block. Liveness is judged by the runner from the figures.
 */
import { toHex } from '../../crypto/index.ts';
import type { Decide } from '../types.ts';

export interface Violation {
  readonly kind: 'conflict' | 'bad-confirmation' | 'bad-certificate';
  readonly height: number;
  readonly detail: string;
}

export class SafetyChecker {
  readonly violations: Violation[] = [];
  /** height → id hex → first honest node that finalised it. */
  readonly #finals = new Map<number, Map<string, number>>();
  readonly #parents = new Map<string, string>();
  readonly #byNode = new Map<number, Map<number, string>>();
  readonly #pending = new Set<string>();
  readonly #quorum: number;
  readonly #isExcused: (height: number) => boolean;
  /** Heights where a conflict happened in a round whose committee was bad (reported, not a failure). */
  readonly excused: number[] = [];

  constructor(quorum: number, isExcused: (height: number) => boolean = () => false) {
    this.#quorum = quorum;
    this.#isExcused = isExcused;
  }

  /** Feeds one honest node's decisions, in the order it output them. */
  onDecide(node: number, d: Decide): void {
    const idHex = toHex(d.id);
    this.#parents.set(idHex, toHex(d.prev));
    if (d.decision !== 'final') return;
    if (d.via === 'certificate' || d.via === 'checkpoint') {
      const signers = new Set((d.certificate ?? []).filter((c) => toHex(c.id) === idHex && c.height === d.height).map((c) => c.from));
      if (signers.size < this.#quorum) {
        this.violations.push({ kind: 'bad-certificate', height: d.height, detail: `node ${node}: ${signers.size} signers` });
      }
    }
    let mine = this.#byNode.get(node);
    if (mine === undefined) {
      mine = new Map();
      this.#byNode.set(node, mine);
    }
    if (d.via === 'successor') {
      // The certified successor is output right after its ancestors; checked when it comes (#confirmAncestors).
      mine.set(d.height, idHex);
      this.#pending.add(`${node}:${d.height}`);
    } else {
      mine.set(d.height, idHex);
      this.#confirmAncestors(node, d.height, idHex);
    }
    let atHeight = this.#finals.get(d.height);
    if (atHeight === undefined) {
      atHeight = new Map();
      this.#finals.set(d.height, atHeight);
    }
    if (!atHeight.has(idHex)) atHeight.set(idHex, node);
    if (atHeight.size === 2) {
      const [a, b] = [...atHeight.entries()];
      const detail = `node ${a![1]} finalised ${a![0].slice(0, 12)}, node ${b![1]} finalised ${b![0].slice(0, 12)}`;
      if (this.#isExcused(d.height)) this.excused.push(d.height);
      else this.violations.push({ kind: 'conflict', height: d.height, detail });
    }
  }

  /** Every block this node finalised by succession below a certified block must be that block's ancestor. */
  #confirmAncestors(node: number, height: number, idHex: string): void {
    const mine = this.#byNode.get(node)!;
    let cursor: string | undefined = idHex;
    for (let h = height - 1; h >= 1 && cursor !== undefined; h--) {
      cursor = this.#parents.get(cursor);
      const claimed = mine.get(h);
      if (claimed === undefined || cursor === undefined) break;
      if (!this.#pending.delete(`${node}:${h}`)) break;
      if (claimed !== cursor) {
        this.violations.push({ kind: 'bad-confirmation', height: h, detail: `node ${node} confirmed a non-ancestor` });
        break;
      }
    }
  }

  /** Ends the run: a block final by succession whose certified successor never came is a violation. */
  finish(): void {
    for (const key of this.#pending) {
      const [node, height] = key.split(':').map(Number);
      this.violations.push({ kind: 'bad-confirmation', height: height!, detail: `node ${node}: no certified successor` });
    }
    this.#pending.clear();
  }

  /** Heights finalised by at least one honest node, with the id. */
  finalChain(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [h, ids] of this.#finals) out.set(h, [...ids.keys()][0]!);
    return out;
  }
}
