/**
 * The Mailbox contract, run against both implementations (memory and SQLite), plus what only the SQLite one
 * promises: what a deposit returned survives closing and reopening the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../node/crypto/index.ts';
import {
  type Mailbox,
  type MailboxLimits,
  MAX_LIST,
  MemoryMailbox,
  SqliteMailbox,
} from '../../../../../node/services/messaging/index.ts';
import { codeOf } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-mailbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const implementations: Record<string, (limits?: Partial<MailboxLimits>) => Mailbox> = {
  memory: (limits) => new MemoryMailbox(limits),
  sqlite: (limits) => SqliteMailbox.open({ path: join(dir, `box-${files++}.db`), ...(limits ? { limits } : {}) }),
};

const alice = new Uint8Array(32).fill(1);
const bob = new Uint8Array(32).fill(2);
const seqs = (items: readonly { seq: number }[]) => items.map((i) => i.seq);
const bodies = (items: readonly { envelope: Uint8Array }[]) => items.map((i) => new TextDecoder().decode(i.envelope));

for (const [name, make] of Object.entries(implementations)) {
  describe(`${name} mailbox`, () => {
    it('lists deposits after a cursor, oldest first, per account', () => {
      const box = make();
      const s1 = box.deposit(bob, utf8('b1'));
      const s2 = box.deposit(alice, utf8('a1'));
      const s3 = box.deposit(bob, utf8('b2'));
      expect(s1 < s2 && s2 < s3).toBe(true);
      expect(bodies(box.list(bob))).toEqual(['b1', 'b2']);
      expect(bodies(box.list(bob, s1))).toEqual(['b2']);
      expect(bodies(box.list(bob, 0, 1))).toEqual(['b1']);
      expect(bodies(box.list(alice))).toEqual(['a1']);
      expect(box.list(new Uint8Array(32))).toEqual([]);
      expect(box.usage(bob)).toEqual({ messages: 2, bytes: 4 });
      box.close();
    });

    it('deletes acknowledged items only from their account, once, and never reuses a sequence number', () => {
      const box = make();
      const [b1, b2] = [box.deposit(bob, utf8('b1')), box.deposit(bob, utf8('b2'))];
      const a1 = box.deposit(alice, utf8('a1'));
      expect(box.ack(bob, [a1])).toBe(0);
      expect(box.ack(bob, [b1, b1, 999])).toBe(1);
      expect(box.ack(bob, [b1])).toBe(0);
      expect(seqs(box.list(bob))).toEqual([b2]);
      expect(seqs(box.list(alice))).toEqual([a1]);
      expect(box.ack(bob, [b2])).toBe(1);
      expect(box.usage(bob)).toEqual({ messages: 0, bytes: 0 });
      expect(box.deposit(bob, utf8('b3'))).toBeGreaterThan(a1);
      box.close();
    });

    it('is bounded per account in messages and bytes (MAILBOX_FULL) and per envelope (TOO_LARGE)', () => {
      const box = make({ maxMessages: 3, maxBytes: 9, maxEnvelopeSize: 6 });
      box.deposit(bob, utf8('12'));
      box.deposit(bob, utf8('34'));
      expect(codeOf(() => box.deposit(bob, utf8('1234567')))).toBe('TOO_LARGE');
      expect(codeOf(() => box.deposit(bob, utf8('123456')))).toBe('MAILBOX_FULL');
      const third = box.deposit(bob, utf8('56'));
      expect(codeOf(() => box.deposit(bob, utf8('7')))).toBe('MAILBOX_FULL');
      // Other accounts are not affected, and acknowledging makes room again.
      expect(codeOf(() => box.deposit(alice, utf8('ok')))).toBeUndefined();
      box.ack(bob, [third]);
      expect(codeOf(() => box.deposit(bob, utf8('7')))).toBeUndefined();
      expect(box.usage(bob)).toEqual({ messages: 3, bytes: 5 });
      box.close();
    });

    it('refuses bad arguments and use after close with typed errors', () => {
      const box = make();
      expect(codeOf(() => box.deposit(new Uint8Array(31), utf8('x')))).toBe('MALFORMED');
      expect(codeOf(() => box.deposit(bob, new Uint8Array(0)))).toBe('MALFORMED');
      expect(codeOf(() => box.list(bob, -1))).toBe('MALFORMED');
      expect(codeOf(() => box.list(bob, 0, MAX_LIST + 1))).toBe('TOO_LARGE');
      expect(codeOf(() => box.ack(bob, [0]))).toBe('MALFORMED');
      box.close();
      expect(codeOf(() => box.deposit(bob, utf8('x')))).toBe('CLOSED');
      expect(codeOf(() => box.list(bob))).toBe('CLOSED');
    });

    it('returns copies: changing a listed envelope changes nothing stored', () => {
      const box = make();
      box.deposit(bob, utf8('abc'));
      box.list(bob)[0]!.envelope[0] = 0x7a;
      expect(bodies(box.list(bob))).toEqual(['abc']);
      box.close();
    });
  });
}

describe('sqlite mailbox durability', () => {
  it('keeps deposits, cursors and usage across close and reopen, in a WAL file', () => {
    const path = join(dir, 'durable.db');
    const box = SqliteMailbox.open({ path });
    const s1 = box.deposit(bob, utf8('kept'));
    const s2 = box.deposit(bob, utf8('acked'));
    box.ack(bob, [s2]);
    box.close();
    const again = SqliteMailbox.open({ path });
    expect(bodies(again.list(bob))).toEqual(['kept']);
    expect(again.usage(bob)).toEqual({ messages: 1, bytes: 4 });
    expect(again.deposit(bob, utf8('next'))).toBeGreaterThan(s2);
    expect(seqs(again.list(bob, s1))).toHaveLength(1);
    again.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('shares one bound between two handles on the same file', () => {
    const path = join(dir, 'shared.db');
    const one = SqliteMailbox.open({ path, limits: { maxMessages: 2 } });
    const two = SqliteMailbox.open({ path, limits: { maxMessages: 2 } });
    one.deposit(bob, utf8('1'));
    two.deposit(bob, utf8('2'));
    expect(codeOf(() => one.deposit(bob, utf8('3')))).toBe('MAILBOX_FULL');
    expect(bodies(two.list(bob))).toEqual(['1', '2']);
    one.close();
    two.close();
  });
});
