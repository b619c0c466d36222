/** What `ame ring` prints: one readable form and one JSON line per command (docs/cli.md). */
import { keyToHex, type Key } from '../../node/ring/keyspace.ts';
import type { Located } from '../../node/ring/service/router.ts';
import type { RingValue } from '../../node/ring/service/value.ts';
import type { UnityView } from '../../node/ring/service/view.ts';
import type { CliIO } from '../io.ts';

export function printLocated(io: CliIO, key: Key, located: Located, json: boolean): void {
  const result = {
    key: keyToHex(key),
    epoch: Number(located.epoch),
    hops: located.hops,
    path: located.path,
    owner: { index: located.index, id: located.id, servers: located.servers.map((s) => s.id) },
    redirects: located.redirects,
  };
  if (json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [`key    ${result.key}`, `epoch  ${result.epoch}`];
  located.path.forEach((hop) => {
    const role = hop.next === located.index ? 'owner' : 'counterpart';
    lines.push(`asked  Unity ${hop.unity} (server ${hop.server}) → ${role} Unity ${hop.next} (${hop.nextId})`);
  });
  lines.push(`owner  Unity ${located.index} (${located.id}), ${located.hops} hops, ${located.servers.length} servers: ${result.owner.servers.join(' ')}`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

export function printSlice(io: CliIO, view: UnityView, json: boolean): void {
  const { slice } = view;
  const entries = slice.entries.map((e) => ({
    index: e.index,
    id: e.id,
    start: keyToHex(e.start),
    servers: e.servers.length,
    role: e.index === slice.index ? 'own' : (e.index - slice.index + slice.n) % slice.n < slice.g ? 'group' : 'counterpart',
  }));
  const result = {
    epoch: Number(view.epoch),
    unities: slice.n,
    groupSize: slice.g,
    unity: { index: slice.index, id: view.unity.id, servers: view.unity.servers.map((s) => s.id), guests: view.unity.guests.map((s) => s.id) },
    entries,
  };
  if (json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `epoch ${result.epoch}: ${slice.n} Unities, groups of ${slice.g}; this slice holds ${entries.length} of them`,
    `own Unity ${slice.index} (${view.unity.id}): ${view.unity.servers.length} servers, ${view.unity.guests.length} guests`,
    ...entries.map((e) => `  ${String(e.index).padStart(6)}  ${e.role.padEnd(11)}  ${e.start.slice(0, 16)}…  ${e.servers} servers`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

export function printValue(io: CliIO, key: Key, value: RingValue, json: boolean): void {
  const data = value.kind === 'owned' ? value.record.payload : value.data;
  if (json) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
    const hex = Buffer.from(data).toString('hex');
    const result =
      value.kind === 'content'
        ? { key: keyToHex(key), kind: 'content', value: text, hex }
        : value.kind === 'checked'
          ? { key: keyToHex(key), kind: 'checked', scheme: value.scheme, hex }
          : {
            key: keyToHex(key),
            kind: 'owned',
            owner: value.record.owner,
            name: value.record.name,
            seq: value.record.seq,
            value: text,
            hex: Buffer.from(data).toString('hex'),
          };
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  io.stdout.write(data);
  if (data.length > 0 && data[data.length - 1] !== 0x0a) io.stdout.write('\n');
}
