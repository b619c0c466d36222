import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError, type DeviceFilter, type Registry } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, tempRegistry, type TempRegistry } from './temp.ts';

interface Model {
  id: string;
  groups: string[];
  tags: string[];
  online: boolean;
  version: string;
  role: string;
  revoked: boolean;
}

const GROUPS = ['canary', 'east', 'west'];
const TAGS = ['pi4', 'pi5'];
let t: TempRegistry;
let r: Registry;
const fleet: Model[] = [];

beforeAll(() => {
  t = tempRegistry();
  r = t.registry;
  for (let i = 0; i < 40; i++) {
    const d = device(`q${i}`, GROUPS.filter((_, g) => (i >> g) % 2 === 1), TAGS.filter((_, k) => (i + k) % 3 === 0));
    const m: Model = {
      id: d.id,
      groups: d.groups as string[],
      tags: d.tags as string[],
      online: i % 2 === 0,
      version: `1.${i % 4}.0`,
      role: i % 5 === 0 ? 'promoted' : 'temporary',
      revoked: i % 7 === 3,
    };
    r.enrol(d, i);
    r.devices.report(d.id, { online: m.online, version: m.version, role: m.role }, 100 + i);
    if (m.revoked) {
      r.revoke(d.id, 200);
      m.online = false; // revoking marks a device offline: its connection is dropped
    }
    fleet.push(m);
  }
});
afterAll(() => t.cleanup());

function expected(f: DeviceFilter): string[] {
  return fleet
    .filter((m) => (f.revoked === 'any' ? true : m.revoked === (f.revoked ?? false)))
    .filter((m) => f.group === undefined || m.groups.includes(f.group))
    .filter((m) => f.tag === undefined || m.tags.includes(f.tag))
    .filter((m) => f.online === undefined || m.online === f.online)
    .filter((m) => f.version === undefined || m.version === f.version)
    .filter((m) => {
      const s = f.search?.toLowerCase();
      return s === undefined || [m.id, m.version, m.role].some((x) => x.toLowerCase().includes(s));
    })
    .map((m) => m.id)
    .sort();
}

function all(f: DeviceFilter, limit: number): string[] {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = r.devices.query({ ...f, limit, ...(after === undefined ? {} : { after }) });
    ids.push(...page.devices.map((d) => d.id));
    if (page.next === null) return ids;
    expect(page.devices).toHaveLength(limit);
    after = page.next;
  }
}

describe('registry device queries', () => {
  it('match a model for any combination of filters, over every page size', () => {
    const filter = fc.record(
      {
        group: fc.constantFrom(...GROUPS, 'none'),
        tag: fc.constantFrom(...TAGS),
        online: fc.boolean(),
        version: fc.constantFrom('1.0.0', '1.3.0', '9.9.9'),
        search: fc.constantFrom('PROMOTED', 'temp', '1.2', '12D3KooW', '%', '_'),
        revoked: fc.constantFrom(true, false, 'any' as const),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(filter, fc.integer({ min: 1, max: 15 }), (f, limit) => {
        expect(all(f, limit)).toEqual(expected(f));
      }),
      { numRuns: 60 },
    );
  });

  it('refuse malformed filters naming them', () => {
    expect(codeOf(() => r.devices.query({ limit: 0 }), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => r.devices.query({ revoked: 'maybe' as unknown as boolean }), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => r.devices.query({ search: '' }), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => r.devices.require(device('unknown').id), RegistryError)).toBe('NOT_FOUND');
  });
});
