/**
 * A StateView given a RecordCache reads exactly what an uncached view reads, on the main line and on branches,
 * across commits, merges and drops (fast-check drives random sequences against a real SQLite store), writes
 * the same roots, and hands out records that cannot be changed in place.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type AccountRecord, RecordCache, StateView } from '../../../../node/ledger/index.ts';
import { newAccount } from '../../../../node/ledger/records.ts';
import { type Branch, openStore, type Store } from '../../../../node/store/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'ame-record-cache-'));
  dirs.push(dir);
  return openStore(join(dir, 'state.sqlite'));
}

const ADDRESSES = ['a', 'b', 'c', 'd', 'e'];

type Op =
  | { readonly kind: 'write'; readonly on: 'main' | 'branch'; readonly address: number; readonly abc: bigint }
  | { readonly kind: 'read'; readonly on: 'main' | 'branch'; readonly address: number }
  | { readonly kind: 'fork' }
  | { readonly kind: 'merge' }
  | { readonly kind: 'drop' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), on: fc.constantFrom('main' as const, 'branch' as const), address: fc.nat(4), abc: fc.bigInt(0n, 1000n) }),
  fc.record({ kind: fc.constant('read' as const), on: fc.constantFrom('main' as const, 'branch' as const), address: fc.nat(4) }),
  fc.constant({ kind: 'fork' as const }),
  fc.constant({ kind: 'merge' as const }),
  fc.constant({ kind: 'drop' as const }),
);

describe('RecordCache', () => {
  it('gives every read the uncached answer, whatever commits, merges and drops came before', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }), (batches) => {
        const store = freshStore();
        const cache = new RecordCache({ versions: 4, depth: 3 });
        let branch: Branch | undefined;
        try {
          for (const batch of batches) {
            for (const step of batch) {
              if (step.kind === 'fork') {
                branch?.drop();
                branch = store.fork();
              } else if (step.kind === 'merge' || step.kind === 'drop') {
                // A branch whose base is no longer main's head cannot merge: drop it instead.
                if (branch !== undefined && step.kind === 'merge' && store.head() === branch.base) branch.merge();
                else branch?.drop();
                branch = undefined;
              } else {
                const line = step.on === 'branch' && branch !== undefined ? branch : store;
                const cached = StateView.over(line, cache);
                const plain = StateView.over(line);
                const address = ADDRESSES[step.address]!;
                expect(cached.hasAccount(address)).toBe(plain.hasAccount(address));
                expect(cached.account(address)).toEqual(plain.account(address));
                if (step.kind === 'write') {
                  if (step.on === 'main' && branch !== undefined) {
                    // Main moves on: the open branch goes stale and is dropped.
                    branch.drop();
                    branch = undefined;
                  }
                  cached.setAccount({ ...cached.account(address), abc: step.abc });
                  cached.commit();
                }
              }
            }
          }
          // Every address, both ways, at the end.
          for (const address of ADDRESSES) {
            expect(StateView.over(store, cache).account(address)).toEqual(StateView.over(store).account(address));
          }
        } finally {
          branch?.drop();
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes the same roots as an uncached view', () => {
    const withCache = freshStore();
    const without = freshStore();
    const cache = new RecordCache();
    try {
      for (let i = 0; i < 20; i++) {
        const address = ADDRESSES[i % ADDRESSES.length]!;
        const a = StateView.over(withCache, cache);
        a.setAccount({ ...a.account(address), abc: BigInt(i), nonce: a.account(address).nonce + 1n });
        a.commit();
        const b = StateView.over(without);
        b.setAccount({ ...b.account(address), abc: BigInt(i), nonce: b.account(address).nonce + 1n });
        b.commit();
        expect(withCache.root()).toEqual(without.root());
      }
      expect(cache.hits).toBeGreaterThan(0);
    } finally {
      withCache.close();
      without.close();
    }
  });

  it('hands out records that refuse changes in place', () => {
    const store = freshStore();
    const cache = new RecordCache();
    try {
      const view = StateView.over(store, cache);
      const record: AccountRecord = { ...newAccount('a'), options: [{ total: 5n, released: 0n, start: 0n }] };
      view.setAccount(record);
      view.commit();
      const read = StateView.over(store, cache).account('a');
      expect(() => (read.options as unknown[]).push({})).toThrow(TypeError);
    } finally {
      store.close();
    }
  });
});
