/** Console sessions: random ids, idle and absolute expiry on an injected clock, the cap, CSRF comparison. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSessionStore, csrfMatches } from '../../../../fleet/console/index.ts';
import { labelledBytes } from '../../../support/seeded.ts';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

describe('console sessions', () => {
  it('gives each session its own id and CSRF token, and finds it by id only', () => {
    const c = clock();
    const store = createSessionStore({ now: c.now, random: labelledBytes('sessions ids') });
    const a = store.create('alice', 'admin');
    const b = store.create('alice', 'admin');
    expect(new Set([a.id, b.id, a.csrf, b.csrf]).size).toBe(4);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.find(a.id)).toMatchObject({ username: 'alice', role: 'admin', csrf: a.csrf });
    expect(store.find(a.csrf)).toBeUndefined();
    expect(store.find('')).toBeUndefined();
    store.remove(a.id);
    expect(store.find(a.id)).toBeUndefined();
    expect(store.find(b.id)).toBeDefined();
  });

  it('ends a session after its idle time without a request, and at its maximum age whatever happens', () => {
    const c = clock();
    const store = createSessionStore({ now: c.now, random: labelledBytes('sessions expiry'), idleMs: 1000, maxAgeMs: 2500 });
    const idle = store.create('idle', 'viewer');
    const busy = store.create('busy', 'operator');
    c.advance(999);
    expect(store.find(busy.id)).toBeDefined(); // pushes busy's idle expiry back
    c.advance(1);
    expect(store.find(idle.id)).toBeUndefined();
    c.advance(900);
    expect(store.find(busy.id)?.expiresAt).toBe(1_000_000 + 2500);
    c.advance(500);
    expect(store.find(busy.id)).toBeDefined();
    c.advance(100); // 2500 ms after login, 100 ms after its last request
    expect(store.find(busy.id)).toBeUndefined();
    expect(store.size()).toBe(0);
  });

  it('drops the oldest session beyond the cap, and every session of an account on request', () => {
    const c = clock();
    const store = createSessionStore({ now: c.now, random: labelledBytes('sessions cap'), max: 3 });
    const s = ['a', 'b', 'c', 'd'].map((u) => store.create(u, 'viewer'));
    expect(store.size()).toBe(3);
    expect(store.find(s[0]!.id)).toBeUndefined();
    expect(store.find(s[3]!.id)).toBeDefined();
    store.create('b', 'viewer');
    store.removeUser('b');
    expect(store.size()).toBe(2);
    expect(store.find(s[1]!.id)).toBeUndefined();
  });

  it('finds a session exactly while it is within both limits, whatever the requests and waits (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ wait: fc.integer({ min: 0, max: 800 }), look: fc.boolean() }), { maxLength: 40 }), (steps) => {
        const c = clock();
        const store = createSessionStore({ now: c.now, random: labelledBytes('sessions property'), idleMs: 500, maxAgeMs: 3000 });
        const s = store.create('p', 'viewer');
        let lastSeen = c.now();
        let gone = false;
        for (const step of steps) {
          c.advance(step.wait);
          if (!step.look) continue;
          const alive = !gone && c.now() < lastSeen + 500 && c.now() < s.createdAt + 3000;
          expect(store.find(s.id) !== undefined).toBe(alive);
          if (alive) lastSeen = c.now();
          else gone = true;
        }
      }),
    );
  });

  it('compares CSRF tokens exactly: any other value, length or type is refused (property)', () => {
    const store = createSessionStore({ now: () => 0, random: labelledBytes('sessions csrf') });
    const s = store.create('alice', 'admin');
    expect(csrfMatches(s, s.csrf)).toBe(true);
    expect(csrfMatches(s, undefined)).toBe(false);
    expect(csrfMatches(s, [s.csrf])).toBe(false);
    fc.assert(fc.property(fc.string(), (other) => csrfMatches(s, other) === (other === s.csrf)));
  });
});
