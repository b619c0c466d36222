/** network.relay → the host's NAT options (docs/device.md "Behind NAT"). */
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../../device/errors.ts';
import { natPlanOf } from '../../../device/worker-runtime.ts';

const RELAY = '/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWR4gqATy2UShTaJqs6Cp9us1kEeRzGrpvozp774EQSkgx';
const net = (relay: 'auto' | 'always' | 'never', listen: string[], relays: string[] = [RELAY]) => ({ name: 'ame', bootstrap: [], listen, relay, relays });

describe('natPlanOf', () => {
  it('never: no NAT options at all', () => {
    expect(natPlanOf(net('never', ['/ip4/192.168.1.2/tcp/0'])).nat).toBeUndefined();
  });

  it('auto on loopback only: unchanged host (ame up on one machine)', () => {
    expect(natPlanOf(net('auto', ['/ip4/127.0.0.1/tcp/0'])).nat).toBeUndefined();
  });

  it('auto with only private addresses: reserves on the relays, with AutoNAT, DCUtR and UPnP', () => {
    expect(natPlanOf(net('auto', ['/ip4/192.168.1.2/tcp/0'])).nat).toEqual({ autonat: true, dcutr: true, upnp: true, relays: [RELAY] });
    expect(natPlanOf(net('auto', ['/ip4/192.168.1.2/tcp/0'], [])).nat).toEqual({ autonat: true, dcutr: true, upnp: true });
  });

  it('auto with a public address: no reservation', () => {
    expect(natPlanOf(net('auto', ['/ip4/8.8.4.4/tcp/0'])).nat?.relays).toBeUndefined();
  });

  it('always: reserves even with a public address, and needs relays', () => {
    expect(natPlanOf(net('always', ['/ip4/8.8.4.4/tcp/0'])).nat?.relays).toEqual([RELAY]);
    expect(() => natPlanOf(net('always', ['/ip4/8.8.4.4/tcp/0'], []))).toThrow(DeviceError);
  });
});
