import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, Registry, RegistryError, REGISTRY_FORMAT } from '../../../../fleet/registry/index.ts';
import { Rollout, type RolloutAction, type RolloutPlan } from '../../../../fleet/rollout/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, tempRegistry, type TempRegistry } from '../../../unit/fleet/registry/temp.ts';

let t: TempRegistry | undefined;
afterEach(() => t?.cleanup());

const schemaOf = (path: string) => {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
  db.close();
  return rows;
};

describe('registry file', () => {
  it('keeps every table across a reopen, and reopening migrates nothing again', () => {
    t = tempRegistry();
    const r = t.registry;
    const a = device('file a', ['canary'], ['pi5']);
    r.enrol(a, 1);
    r.devices.report(a.id, { online: true, version: '1.0.0' }, 2);
    r.releases.add({ id: 'a'.repeat(64), target: 't', version: '1.0.0', arch: 'arm64', length: 10 }, 3);
    r.locks.lock(a.id, 'app', 'busy', 100, 4);
    r.admins.create('alice', 'correct horse battery', 'admin', 5);
    const token = r.admins.issueToken({ role: 'operator', label: 'ci' }, 6);
    r.audit.append('alice', 'device.enrol', a.id, null, 7);
    r.close();
    const schema = schemaOf(t.path);

    const again = t.reopen();
    expect(again.format).toBe(REGISTRY_FORMAT);
    expect(again.publicKey(a.id)).toEqual(a.publicKey);
    expect(again.devices.get(a.id)).toMatchObject({ online: true, version: '1.0.0', groups: ['canary'], tags: ['pi5'] });
    expect(again.releases.get('a'.repeat(64))?.version).toBe('1.0.0');
    expect(again.locks.activeLock(a.id, 50)?.holder).toBe('app');
    expect(again.admins.authenticate('alice', 'correct horse battery').role).toBe('admin');
    expect(again.admins.authenticateToken(token.token, 7).label).toBe('ci');
    expect(again.audit.query().entries.map((e) => e.action)).toEqual(['device.enrol']);
    again.close();
    t.reopen().close();
    expect(schemaOf(t.path)).toEqual(schema);
    expect(MIGRATIONS).toHaveLength(REGISTRY_FORMAT);
  });

  it('refuses a newer registry and another program’s database', () => {
    t = tempRegistry();
    t.registry.close();
    const db = new Database(t.path);
    db.pragma(`user_version = ${REGISTRY_FORMAT + 1}`);
    db.close();
    expect(codeOf(() => Registry.open(t!.path), RegistryError)).toBe('BAD_STORE');
    const foreign = join(dirname(t.path), 'foreign.sqlite');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (x TEXT)');
    other.close();
    expect(codeOf(() => Registry.open(foreign), RegistryError)).toBe('BAD_STORE');
    const garbage = join(dirname(t.path), 'garbage.sqlite');
    writeFileSync(garbage, 'not a database at all, just text that is long enough to have a header');
    expect(codeOf(() => Registry.open(garbage), RegistryError)).toBe('BAD_STORE');
  });

  it('lets a restarted controller continue a rollout from the stored snapshot, honouring locks', () => {
    t = tempRegistry();
    let r = t.registry;
    const devices = Array.from({ length: 12 }, (_, i) => device(`roll ${i}`, i < 3 ? ['canary'] : []));
    for (const d of devices) r.enrol(d, 0);
    r.releases.add({ id: 'a'.repeat(64), target: 't', version: '2.0.0', arch: 'arm64', length: 10 }, 0);
    r.locks.lock(devices[5]!.id, 'app', 'busy', 500_000, 0);
    const plan: RolloutPlan = {
      release: 'a'.repeat(64),
      previousRelease: 'b'.repeat(64),
      phases: [{ name: 'canary', group: 'canary' }, { name: 'all' }],
      successThreshold: 1,
      failureBudget: 0,
      concurrency: 2,
      ratePerMinute: 100,
      timeoutMs: 60_000,
    };
    const fleet = devices.map((d) => ({ id: d.id, groups: [...(d.groups ?? [])] }));
    let engine = Rollout.start({ id: 'r1', plan, devices: fleet, locked: r.locks.isLocked, now: 0 });
    r.rollouts.create({ id: 'r1', release: plan.release, previousRelease: plan.previousRelease, status: 'running', state: engine.snapshot() }, 0);
    const assigned: string[] = [];
    let now = 0;
    const step = (fn: () => RolloutAction[]) => {
      const actions = fn();
      r.rollouts.save('r1', { status: engine.progress().state, state: engine.snapshot() }, now);
      return actions;
    };
    for (let i = 0; i < 200 && engine.progress().state === 'running'; i++) {
      const queue = step(() => engine.tick(now));
      for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
        assigned.push(a.device);
        expect(r.locks.isLocked(a.device, now)).toBe(false);
        queue.push(...step(() => engine.report(a.device, 'healthy', now)));
      }
      if (i % 3 === 1) {
        // The controller restarts: a new registry handle on the file, the engine from its stored snapshot.
        r.close();
        r = t.reopen();
        engine = Rollout.restore(r.rollouts.get('r1')!.state, r.locks.isLocked);
      }
      now += 100_000;
    }
    expect(engine.progress().state).toBe('done');
    expect(r.rollouts.list('done').map((x) => x.id)).toEqual(['r1']);
    expect([...assigned].sort()).toEqual(devices.map((d) => d.id).sort());
    expect(assigned.indexOf(devices[5]!.id)).toBe(assigned.length - 1);
  });
});
