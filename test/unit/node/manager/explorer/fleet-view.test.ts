/**
 * GET /api/fleet (the devices the process running the explorer looks after) and the network page's health logic:
 * 404 NOT_AVAILABLE without a provider, the provider's devices as given; AmeHealth.managerRows run from the
 * page's own script text — a manager is silent only after signing none of the last 8 certified blocks — and the
 * accounts panel's amounts.
 */
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetDevice } from '../../../../../node/manager/explorer/index.ts';
import { PAGE_ACCOUNTS_SCRIPT } from '../../../../../node/manager/explorer/page-accounts.ts';
import { PAGE_HEALTH_SCRIPT } from '../../../../../node/manager/explorer/page-health.ts';
import { type ExplorerFixture, startExplorer } from './fixture.ts';

let fx: ExplorerFixture;
beforeAll(async () => {
  fx = await startExplorer();
});
afterAll(() => fx.close());

const device = (name: string, online: boolean, exited: boolean): FleetDevice => ({
  name,
  peerId: `12D3KooW${name}`,
  online,
  process: exited ? 'exited' : 'running',
  exit: exited ? 'SIGKILL' : null,
  state: 'serving',
  dashboard: 'http://127.0.0.1:1',
});

describe('GET /api/fleet', () => {
  it('is 404 NOT_AVAILABLE without a provider, and lists the provider’s devices with one', async () => {
    fx.server.setFleet(undefined);
    const none = await fetch(`${fx.url}/api/fleet`);
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ code: 'NOT_AVAILABLE' });
    const devices = [device('d0', true, false), device('d1', false, true)];
    fx.server.setFleet(() => devices);
    const res = await fetch(`${fx.url}/api/fleet`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ devices });
    expect((await fetch(`${fx.url}/api/fleet/x`)).status).toBe(404);
  });
});

interface Row {
  key: string;
  signed: number | null;
  silent: boolean;
}
type ManagerRows = (managers: { key: string }[], headers: { height: string; certificate: { member: string }[] }[], head: number) => Row[];

describe('the page’s manager health', () => {
  const rowsOf = runInNewContext(`${PAGE_HEALTH_SCRIPT}; AmeHealth.managerRows`) as ManagerRows;
  const managers = ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => ({ key }));
  /** Heights from…to, each certified by five of the six: `missing(h)` is the one left out. */
  const headers = (from: number, to: number, missing: (h: number) => string) =>
    Array.from({ length: to - from + 1 }, (_, i) => from + i).map((h) => ({
      height: String(h),
      certificate: managers.filter((m) => m.key !== missing(h)).map((m) => ({ member: m.key })),
    }));

  it('calls a live manager missing from a few certificates in a row signing', () => {
    const rows = rowsOf(managers, headers(1, 24, (h) => (h > 17 ? 'b' : 'abcdef'[h % 6]!)), 24);
    expect(rows.every((r) => !r.silent)).toBe(true);
    expect(rows.find((r) => r.key === 'b')!.signed).toBe(17);
  });

  it('calls a manager in none of the last eight certificates silent, with the last height it signed', () => {
    const rows = rowsOf(managers, headers(1, 24, (h) => (h > 16 ? 'c' : 'x')), 24);
    expect(rows.filter((r) => r.silent).map((r) => [r.key, r.signed])).toEqual([['c', 16]]);
    // One that never signed in the window is silent with no height.
    const never = rowsOf(managers, headers(1, 24, () => 'f'), 24);
    expect(never.find((r) => r.key === 'f')).toEqual({ key: 'f', signed: null, silent: true });
    // Too few blocks to judge: nobody is silent yet.
    expect(rowsOf(managers, headers(1, 5, () => 'f'), 5).some((r) => r.silent)).toBe(false);
  });
});

describe('the page’s amounts', () => {
  it('shows micro-units as units with six decimals, exactly, for any size', () => {
    const units = runInNewContext(`${PAGE_ACCOUNTS_SCRIPT}; AmeAccounts.units`) as (micro: string) => string;
    expect(units('0')).toBe('0.000000');
    expect(units('1234567')).toBe('1.234567');
    expect(units('-5')).toBe('-0.000005');
    expect(units('123456789012345678901')).toBe('123456789012345.678901');
  });
});
