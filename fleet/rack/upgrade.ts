/**
 * A rolling upgrade of a rack Unity: one server at a time moves to the new release (another `ame` command), in the
 * order standby (role 5) first, then roles 4 … 0, so that while a member restarts the standby, already upgraded,
 * holds its role. Before stopping a server every other one must answer and be caught up (within MAX_LAG blocks of
 * the highest head): with six servers and a quorum of five, one server may be down, never two. After its restart a
 * server must answer, the Unity must finalise a probe transaction (probe.ts), and the server must reach that block,
 * before the next one is touched. Any check failing stops the upgrade where it is (QUORUM_AT_RISK or NOT_HEALTHY);
 * rack.json says which release each server runs, and running the upgrade again continues with the rest.
 */
import { quorumOf, type RackStatus } from './health.ts';
import { probeRack, rackGenesis, rackLayout, stopServer, waitForRack, type RackDeps } from './provision.ts';
import { readRecord, withServer, writeRecord } from './record.ts';

/** How far behind the highest head a server may be and still count as caught up. */
export const MAX_LAG = 3;

export interface UpgradeOptions {
  /** Per server: how long it may take to answer and catch up after its restart (default 90 s). */
  readonly timeoutMs?: number;
  /** SIGTERM → SIGKILL grace (default 10 s). */
  readonly graceMs?: number;
}

const sameCommand = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function atRisk(status: RackStatus, skipping: string): string | undefined {
  const others = status.servers.filter((s) => s.name !== skipping);
  const lagging = others.filter((s) => !s.reachable || (s.height ?? 0) < status.height - MAX_LAG);
  const healthy = others.length - lagging.length;
  if (healthy >= quorumOf(status.servers.length) && lagging.length === 0) return undefined;
  return lagging.map((s) => (s.reachable ? `${s.name} at height ${s.height} of ${status.height}` : `${s.name} not answering`)).join(', ');
}

/** Upgrades every server not yet on `command`; returns the names upgraded, in order. */
export async function upgradeRack(dir: string, command: readonly string[], deps: RackDeps, options: UpgradeOptions = {}): Promise<string[]> {
  let record = readRecord(dir);
  const layouts = rackLayout(dir, record);
  const genesis = rackGenesis(dir);
  const order = [...layouts].sort((a, b) => b.role - a.role);
  const upgraded: string[] = [];
  for (const layout of order) {
    const name = layout.host.name;
    const server = record.servers.find((s) => s.name === name)!;
    if (sameCommand(server.command, command)) continue;
    const before = await waitForRack(
      layouts,
      deps,
      15_000,
      `not stopping ${name}: the other servers were not all answering and caught up`,
      (s) => atRisk(s, name) === undefined,
      'QUORUM_AT_RISK',
      (s) => atRisk(s, name) ?? 'healthy',
    );
    deps.progress?.(`${name} (role ${layout.role}): stopping at height ${before.height}`);
    if (server.pid !== null) await stopServer(layout.host, server.pid, deps, options.graceMs ?? 10_000);
    const pid = await deps.executor.launch(layout.host, [...command, ...layout.args], layout.logFile);
    record = withServer(record, name, { pid, command, startedAt: deps.now() });
    writeRecord(dir, record);
    const timeoutMs = options.timeoutMs ?? 90_000;
    const mine = (s: RackStatus) => s.servers.find((x) => x.name === name)!;
    await waitForRack(layouts, deps, timeoutMs, `${name} did not answer after its restart`, (s) => mine(s).reachable);
    const final = await probeRack(layouts, record, genesis, deps, timeoutMs);
    await waitForRack(layouts, deps, timeoutMs, `${name} did not catch up to final block ${final}`, (s) => (mine(s).height ?? 0) >= final);
    deps.progress?.(`${name} (role ${layout.role}): runs ${command.join(' ')} (pid ${pid}), caught up`);
    upgraded.push(name);
  }
  return upgraded;
}
