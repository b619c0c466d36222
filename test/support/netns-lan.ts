/**
 * A LAN of network namespaces on this machine, one per "host": a bridge in the root namespace at 10.231.K.1/24 and
 * per host a namespace with a veth at 10.231.K.(i+2), so the hosts reach each other and the test process (in the
 * root namespace) reaches every host's address. Names carry a random suffix, so two runs never collide. Needs root
 * (`ip netns`); CI runs as root. `remove()` deletes everything made, whatever failed half-way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsLan {
  readonly hosts: readonly { readonly namespace: string; readonly address: string }[];
  readonly gateway: string;
  remove(): void;
}

const sh = (...argv: string[]) => void execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
const quietly = (...argv: string[]) => void spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });

export function createNetnsLan(count: number): NetnsLan {
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root (`ip netns`); CI runs the long suite as root');
  const suffix = randomBytes(2).toString('hex');
  const subnet = 16 + (parseInt(suffix, 16) % 200);
  const bridge = `arb${suffix}`;
  const hosts = Array.from({ length: count }, (_, i) => ({ namespace: `ame-lan-${suffix}-${i}`, address: `10.231.${subnet}.${i + 2}`, veth: `arv${suffix}${i}` }));
  const remove = () => {
    for (const h of hosts) quietly('ip', 'netns', 'del', h.namespace);
    for (const h of hosts) quietly('ip', 'link', 'del', h.veth);
    quietly('ip', 'link', 'del', bridge);
  };
  try {
    sh('ip', 'link', 'add', bridge, 'type', 'bridge');
    sh('ip', 'addr', 'add', `10.231.${subnet}.1/24`, 'dev', bridge);
    sh('ip', 'link', 'set', bridge, 'up');
    for (const h of hosts) {
      sh('ip', 'netns', 'add', h.namespace);
      sh('ip', 'link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.namespace);
      sh('ip', 'link', 'set', h.veth, 'master', bridge);
      sh('ip', 'link', 'set', h.veth, 'up');
      sh('ip', 'netns', 'exec', h.namespace, 'ip', 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
      sh('ip', 'netns', 'exec', h.namespace, 'ip', 'link', 'set', 'eth0', 'up');
      sh('ip', 'netns', 'exec', h.namespace, 'ip', 'link', 'set', 'lo', 'up');
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { hosts: hosts.map(({ namespace, address }) => ({ namespace, address })), gateway: `10.231.${subnet}.1`, remove };
}
