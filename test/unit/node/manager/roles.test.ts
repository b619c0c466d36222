import { describe, expect, it } from 'vitest';
import { ManagerError } from '../../../../node/manager/errors.ts';
import { decodeRoles, encodeRoles, getRoles, RoleBoard, type RoleEntry } from '../../../../node/manager/roles.ts';
import { fixedLatency, SimNetwork, type SimPeer } from '../../../../node/net/sim/index.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { codeOf } from '../../../support/error-code.ts';

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function unity(n = 6, options: { heartbeatMs?: number; downAfterMs?: number } = {}) {
  const net = new SimNetwork({ linkLatency: fixedLatency(5), deadPeer: 'deadline' });
  const peers: SimPeer[] = Array.from({ length: n }, (_, i) => net.addPeer(`m${i}`));
  const logs: LogLine[][] = peers.map(() => []);
  const boards = peers.map((peer, index) => {
    const log = (level: string) => (fields: Record<string, unknown>, msg: string) => logs[index]!.push({ level, fields, msg });
    return new RoleBoard({
      rpc: peer,
      clock: net.clock,
      peers: peers.map((p) => p.self),
      index,
      heartbeatMs: options.heartbeatMs ?? 500,
      downAfterMs: options.downAfterMs ?? 3_000,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } as never,
    });
  });
  return { net, peers, boards, logs };
}

const holders = (table: readonly RoleEntry[]) => table.map((e) => e.holder);

describe('RoleBoard: the six roles of a manager Unity', () => {
  it('gives member i role i while everyone answers', async () => {
    const { net, boards } = unity();
    for (const b of boards) b.start();
    await net.clock.advance(10_000);
    for (const b of boards) {
      expect(holders(b.table())).toEqual([0, 1, 2, 3, 4, 5]);
      expect(b.table().map((e) => e.state)).toEqual(Array(6).fill('own'));
      expect(b.table()[5]!.name).toBe('standby');
    }
    for (const b of boards) b.stop();
  });

  it('lets the standby take over a silent member within downAfterMs + one heartbeat, logged, and hand it back', async () => {
    const { net, peers, boards, logs } = unity();
    for (const b of boards) b.start();
    await net.clock.advance(2_000);
    const killedAt = net.clock.now();
    peers[2]!.kill();
    boards[2]!.stop();
    let takenAt = -1;
    while (net.clock.now() - killedAt < 10_000) {
      await net.clock.advance(100);
      if (takenAt < 0 && boards[5]!.holderOf(2) === 5) takenAt = net.clock.now();
    }
    expect(takenAt - killedAt).toBeGreaterThan(2_000);
    expect(takenAt - killedAt).toBeLessThanOrEqual(3_600);
    for (const i of [0, 1, 3, 4, 5]) {
      expect(holders(boards[i]!.table()), `member ${i}'s view`).toEqual([0, 1, 5, 3, 4, 5]);
      expect(boards[i]!.table()[2]!.state).toBe('taken-over');
    }
    expect(logs[5]!.some((l) => l.level === 'warn' && l.msg === 'took over a failed role' && l.fields['role'] === 2)).toBe(true);
    // Over the wire, as a client sees it.
    const seen = net.addPeer('client');
    const remote = getRoles(seen, peers[5]!.self);
    await net.clock.advance(100);
    expect(holders(await remote)).toEqual([0, 1, 5, 3, 4, 5]);

    peers[2]!.restart();
    boards[2]!.start();
    await net.clock.advance(2_000);
    expect(holders(boards[5]!.table())).toEqual([0, 1, 2, 3, 4, 5]);
    expect(logs[5]!.some((l) => l.msg === 'role back with its member' && l.fields['role'] === 2)).toBe(true);
    for (const b of boards) b.stop();
  });

  it('marks roles vacant when their member and the standby are both down', async () => {
    const { net, peers, boards } = unity();
    for (const b of boards) b.start();
    await net.clock.advance(1_000);
    for (const i of [1, 5]) {
      peers[i]!.kill();
      boards[i]!.stop();
    }
    await net.clock.advance(5_000);
    const table = boards[0]!.table();
    expect(table[1]).toMatchObject({ state: 'vacant', holder: -1 });
    expect(table[5]).toMatchObject({ state: 'vacant', holder: -1 });
    expect(holders(table)).toEqual([0, -1, 2, 3, 4, -1]);
    for (const b of boards) b.stop();
  });

  it('refuses heartbeats from non-members and round-trips the table, vacancies included', async () => {
    const { net, peers, boards } = unity();
    boards[0]!.start();
    const stranger = net.addPeer('stranger');
    const reply = stranger.request(peers[0]!.self, 'manager/alive', new Uint8Array(0), { timeoutMs: 500 }).catch((e: unknown) => e);
    await net.clock.advance(100);
    expect((await reply as { code?: string }).code).toBe('UNAUTHORIZED');
    const table: RoleEntry[] = [
      { role: 0, name: 'command-intake', owner: 0, holder: 5, state: 'taken-over', since: 1234 },
      { role: 1, name: 'ring-messaging', owner: 1, holder: -1, state: 'vacant', since: 5 },
    ];
    expect(decodeRoles(encodeRoles(table))).toEqual(table);
    expect(codeOf(() => decodeRoles(encodeCbor([{ role: 0 }])), ManagerError)).toBe('BAD_REPLY');
    expect(codeOf(() => decodeRoles(encodeRoles([{ ...table[0]!, state: 'weird' as never }])), ManagerError)).toBe('BAD_REPLY');
    boards[0]!.stop();
  });
});
