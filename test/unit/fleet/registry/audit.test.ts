import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, registryPerTest } from './temp.ts';

const s = registryPerTest();

describe('registry audit log', () => {
  it('number entries with a growing seq and page through filters', () => {
    const actors = ['alice', 'bob', 'ci'];
    for (let i = 0; i < 30; i++) {
      const e = s.r.audit.append(actors[i % 3]!, i % 2 === 0 ? 'device.revoke' : 'rollout.start', `t${i}`, { i }, 1_000 + i * 10);
      expect(e.seq).toBe(i + 1);
    }
    const pages: number[][] = [];
    let after: number | undefined;
    do {
      const page = s.r.audit.query({ actor: 'alice', action: 'device.revoke', since: 1_050, until: 1_260, limit: 2, ...(after === undefined ? {} : { after }) });
      pages.push(page.entries.map((e) => e.seq));
      after = page.next ?? undefined;
    } while (after !== undefined);
    // alice: i ≡ 0 (mod 3); device.revoke: i even → i ≡ 0 (mod 6); time window: i in 5…25
    expect(pages).toEqual([[7, 13], [19, 25]]);
    expect(s.r.audit.query({ after: 28 }).entries.map((e) => e.detail)).toEqual([{ i: 28 }, { i: 29 }]);
  });

  it('refuse UPDATE and DELETE on the table, even through SQL on the open file', () => {
    s.r.audit.append('alice', 'admin.create', 'bob', null, 1);
    const db = new Database(s.t.path);
    expect(() => db.prepare("UPDATE audit SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    db.close();
    expect(s.r.audit.query().entries).toMatchObject([{ seq: 1, actor: 'alice', action: 'admin.create', target: 'bob', detail: null }]);
  });

  it('refuse entries it cannot store, naming the field', () => {
    expect(codeOf(() => s.r.audit.append('', 'x', null, null, 1), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.audit.append('a', 'x', null, { big: 'x'.repeat(20_000) }, 1), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.audit.append('a', 'x', null, null, 1.5), RegistryError)).toBe('BAD_INPUT');
    expect(s.r.audit.query().entries).toEqual([]);
  });

  it('commit an action and its entry together, or neither', () => {
    const unknown = device('never enrolled').id;
    const revokeLogged = () =>
      s.r.transaction(() => {
        s.r.audit.append('alice', 'device.revoke', unknown, null, 1);
        s.r.revoke(unknown, 1);
      });
    expect(codeOf(revokeLogged, RegistryError)).toBe('NOT_FOUND');
    expect(s.r.audit.query().entries).toEqual([]);
  });
});
