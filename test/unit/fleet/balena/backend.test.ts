/** The balena backend's checks of balenaCloud's replies: a malformed reply is BAD_REPLY, never a crash. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BalenaError, createBalenaBackend, parseDevice, type BalenaSdkPort } from '../../../../fleet/balena/index.ts';

const UUID = '1'.repeat(32);
const COMMIT = 'c'.repeat(40);

function sdkReturning(devices: unknown, fleet: unknown = {}): BalenaSdkPort {
  const fail = () => Promise.reject(new Error('not used'));
  return {
    models: {
      device: { pinToRelease: fail, trackApplicationRelease: fail, getAllByApplication: async () => devices as never, envVar: { set: fail } },
      application: { pinToRelease: fail, get: async () => fleet as never, envVar: { set: fail } },
    },
  } as unknown as BalenaSdkPort;
}

describe('balena backend replies', () => {
  it('reads a well-formed device row', () => {
    const row = { uuid: UUID, device_name: 'x', is_online: true, overall_status: 'idle', is_running__release: [{ commit: COMMIT }], is_pinned_on__release: [], device_tag: [{ tag_key: 'AME_GROUPS', value: 'canary' }, { tag_key: 'AME_UPDATE_STATUS', value: `healthy ${COMMIT}` }] };
    expect(parseDevice(row, 0)).toEqual({ uuid: UUID, name: 'x', online: true, overallStatus: 'idle', running: COMMIT, pinned: null, groups: ['canary'], agent: { status: 'healthy', release: COMMIT } });
  });

  it('names the field of a malformed reply', async () => {
    const cases: [unknown, RegExp][] = [
      [[null], /device\[0\] is not an object/],
      [[{ uuid: 'x', is_online: true }], /device\[0\]\.uuid/],
      [[{ uuid: UUID, is_online: 'yes' }], /device\[0\]\.is_online/],
      [[{ uuid: UUID, is_online: true, is_running__release: [{ commit: 'main' }] }], /is_running__release\.commit/],
      [[{ uuid: UUID, is_online: true, is_pinned_on__release: [{}, {}] }], /is_pinned_on__release is not an expanded release/],
      [{ d: [] }, /not a list/],
    ];
    for (const [reply, message] of cases) {
      const error = await createBalenaBackend({ sdk: sdkReturning(reply), fleet: 'o/f' }).deviceStatus().catch((e: unknown) => e);
      expect(error, String(message)).toBeInstanceOf(BalenaError);
      expect(error).toMatchObject({ code: 'BAD_REPLY', message: expect.stringMatching(message) });
    }
    await expect(createBalenaBackend({ sdk: sdkReturning([], { should_track_latest_release: 'no' }), fleet: 'o/f' }).fleetTarget()).rejects.toMatchObject({ code: 'BAD_REPLY' });
  });

  it('never fails on any reply except with BAD_REPLY', async () => {
    const row = fc.record(
      {
        uuid: fc.oneof(fc.constant(UUID), fc.string()),
        is_online: fc.oneof(fc.boolean(), fc.anything()),
        device_name: fc.anything(),
        is_running__release: fc.oneof(fc.constant([{ commit: COMMIT }]), fc.anything()),
        device_tag: fc.oneof(fc.array(fc.record({ tag_key: fc.constantFrom('AME_UPDATE_STATUS', 'AME_GROUPS', 'x'), value: fc.anything() })), fc.anything()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(fc.oneof(row, fc.anything())), fc.anything()), async (reply) => {
        try {
          const devices = await createBalenaBackend({ sdk: sdkReturning(reply), fleet: 'o/f' }).deviceStatus();
          for (const d of devices) expect(d.uuid).toBe(UUID);
        } catch (error) {
          expect(error).toMatchObject({ code: 'BAD_REPLY' });
        }
      }),
    );
  });
});
