import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { registryPerTest } from './temp.ts';

const s = registryPerTest();

const release = (digit: string, version = '1.0.0') => ({ id: digit.repeat(64), target: `ame-${version}.tar`, version, arch: 'arm64', length: 1234 });

describe('registry releases and rollouts', () => {
  it('keep a release once per bundle hash and refuse other metadata under the same hash', () => {
    expect(s.r.releases.add(release('a'), 10)).toEqual({ ...release('a'), createdAt: 10 });
    expect(s.r.releases.add(release('a'), 20).createdAt).toBe(10);
    expect(codeOf(() => s.r.releases.add({ ...release('a'), length: 99 }, 30), RegistryError)).toBe('CONFLICT');
    expect(codeOf(() => s.r.releases.add({ ...release('a'), id: 'A'.repeat(64) }, 30), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.releases.add({ ...release('c'), length: 0 }, 30), RegistryError)).toBe('BAD_INPUT');
    s.r.releases.add(release('b', '1.1.0'), 40);
    expect(s.r.releases.list().map((x) => x.version)).toEqual(['1.1.0', '1.0.0']);
    expect(s.r.releases.list({ limit: 1, offset: 1 }).map((x) => x.version)).toEqual(['1.0.0']);
  });

  it('store a rollout with its engine state and update it', () => {
    s.r.releases.add(release('a'), 1);
    const state = { format: 1, phase: 0, devices: [{ id: 'd', status: 'pending' }] };
    const created = s.r.rollouts.create({ id: 'r1', release: 'a'.repeat(64), previousRelease: 'b'.repeat(64), status: 'running', state }, 5);
    expect(created).toMatchObject({ id: 'r1', status: 'running', state, createdAt: 5, updatedAt: 5 });
    s.r.rollouts.save('r1', { status: 'aborted', state: { ...state, phase: 1 } }, 9);
    expect(s.r.rollouts.get('r1')).toMatchObject({ status: 'aborted', state: { phase: 1 }, createdAt: 5, updatedAt: 9 });
    expect(s.r.rollouts.list('running')).toEqual([]);
    expect(s.r.rollouts.list('aborted').map((x) => x.id)).toEqual(['r1']);
    const again = { id: 'r1', release: 'a'.repeat(64), previousRelease: 'b'.repeat(64), status: 'running', state };
    expect(codeOf(() => s.r.rollouts.create(again, 10), RegistryError)).toBe('CONFLICT');
    expect(codeOf(() => s.r.rollouts.create({ ...again, id: 'r2', release: 'c'.repeat(64) }, 10), RegistryError)).toBe('NOT_FOUND');
    expect(codeOf(() => s.r.rollouts.save('r9', { status: 'done', state }, 10), RegistryError)).toBe('NOT_FOUND');
  });
});
