/** The controller's history recorder over a real registry file: merging reports, batching, bounding, failures. */
import { describe, expect, it } from 'vitest';
import { ControllerError } from '../../../../fleet/controller/errors.ts';
import { createHistoryRecorder, reportFigures, type HistoryRecorderOptions } from '../../../../fleet/controller/history-recorder.ts';
import type { Registry } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, registryPerTest } from '../registry/temp.ts';

const s = registryPerTest();
const MINUTE = 60_000;

/** A recorder whose timer the test fires by hand, with a clock it sets; `records` counts the registry transactions. */
function rig(r: Registry, options: Partial<HistoryRecorderOptions> = {}) {
  let now = 0;
  const timers: (() => void)[] = [];
  const warnings: object[] = [];
  let records = 0;
  const history = {
    record: (...args: Parameters<Registry['history']['record']>) => {
      records += 1;
      return r.history.record(...args);
    },
  };
  const recorder = createHistoryRecorder({
    history,
    now: () => now,
    intervalMs: MINUTE,
    retentionMs: 10 * MINUTE,
    flushMs: 5_000,
    schedule: (_ms, fn) => {
      timers.push(fn);
      return () => void timers.splice(timers.indexOf(fn), 1);
    },
    logger: { warn: (obj) => void warnings.push(obj) },
    ...options,
  });
  return {
    recorder,
    warnings,
    at: (t: number) => void (now = t),
    tick: () => timers.forEach((fn) => fn()),
    records: () => records,
    timers: () => timers.length,
  };
}

describe('history recorder', () => {
  it('reads the figures of a state or telemetry report, leaving out the ones of the wrong type or size', () => {
    expect(
      reportFigures({
        state: 'serving',
        healthy: true,
        version: '1.2.3',
        role: 'temporary',
        earnings: { servedRequests: 42, settled: '1500000', unsettled: '20' },
        balance: '7000000',
        rssBytes: 1234,
        online: false, // only the online topic says whether a device is online
        reasons: [],
      }),
    ).toEqual({ state: 'serving', healthy: true, version: '1.2.3', role: 'temporary', servedRequests: 42, settled: '1500000', unsettled: '20', balance: '7000000', rssBytes: 1234 });
    expect(reportFigures({ state: 7, healthy: 'yes', version: 'v'.repeat(65), earnings: { servedRequests: -3, settled: 12, unsettled: '1.5' }, balance: null, rssBytes: 2 ** 60 })).toEqual({ balance: null });
    expect(reportFigures({ earnings: [1, 2] })).toEqual({});
  });

  it('merges online and state reports, writes one sample per device per interval, all due devices in one transaction', () => {
    const devices = Array.from({ length: 50 }, (_, i) => device(`recorder ${i}`));
    for (const d of devices) s.r.enrol(d, 0);
    const x = rig(s.r);
    x.recorder.start();
    x.recorder.start();
    expect(x.timers()).toBe(1);
    x.at(1_000);
    for (const [i, d] of devices.entries()) {
      x.recorder.observe(d.id, { online: true });
      x.recorder.observe(d.id, { servedRequests: i, healthy: true });
      x.recorder.observe(d.id, { servedRequests: i + 1 });
    }
    x.tick();
    expect(x.records()).toBe(1);
    expect(s.r.history.count()).toBe(50);
    expect(s.r.history.query(devices[3]!.id).samples).toEqual([
      { time: 1_000, online: true, state: null, healthy: true, version: null, role: null, servedRequests: 4, settled: null, unsettled: null, balance: null, rssBytes: null },
    ]);
    // More reports within the interval: held, not written, and no transaction while nothing is due.
    x.at(30_000);
    for (const d of devices) x.recorder.observe(d.id, { online: false });
    x.tick();
    expect(x.records()).toBe(1);
    expect(x.recorder.counts()).toEqual({ written: 50, pending: 50, failed: 0 });
    // Due now: the latest figures, merged with what was known.
    x.at(61_000);
    x.tick();
    expect(x.records()).toBe(2);
    expect(s.r.history.query(devices[3]!.id).samples.at(-1)).toMatchObject({ time: 61_000, online: false, healthy: true, servedRequests: 4 });
    expect(x.recorder.counts()).toEqual({ written: 100, pending: 0, failed: 0 });
    // A device that stopped reporting gets no further samples; the retention still applies without reports.
    x.at(61_000 + 10 * MINUTE);
    x.tick();
    expect(s.r.history.count()).toBe(50);
    x.at(61_000 + 20 * MINUTE);
    x.tick();
    expect(s.r.history.count()).toBe(0);
    x.recorder.stop();
    expect(x.timers()).toBe(0);
  });

  it('writes at most maxBatch samples per flush, the rest at the next one', () => {
    const devices = Array.from({ length: 7 }, (_, i) => device(`recorder batch ${i}`));
    for (const d of devices) s.r.enrol(d, 0);
    const x = rig(s.r, { maxBatch: 3 });
    x.recorder.start();
    for (const d of devices) x.recorder.observe(d.id, { servedRequests: 1 });
    const written = [0, 1, 2].map(() => {
      x.tick();
      return s.r.history.count();
    });
    expect(written).toEqual([3, 6, 7]);
    expect(x.records()).toBe(3);
  });

  it('forgets devices the registry does not know, keeps samples pending when a write fails, and writes what is due at stop', () => {
    const a = device('recorder known');
    const stranger = device('recorder stranger');
    s.r.enrol(a, 0);
    const x = rig(s.r);
    x.recorder.observe(a.id, { servedRequests: 1 });
    x.recorder.observe(stranger.id, { servedRequests: 1 });
    x.recorder.flush();
    expect(x.recorder.counts()).toEqual({ written: 1, pending: 0, failed: 0 });
    expect(s.r.history.count(stranger.id)).toBe(0);

    x.at(MINUTE);
    x.recorder.observe(a.id, { servedRequests: 2, settled: 'not an amount' as string });
    x.recorder.flush();
    expect(x.recorder.counts()).toMatchObject({ failed: 1, pending: 1 });
    expect(x.warnings).toHaveLength(1);
    x.recorder.observe(a.id, { settled: '10' });
    x.recorder.stop();
    expect(s.r.history.query(a.id).samples.map((z) => [z.servedRequests, z.settled])).toEqual([
      [1, null],
      [2, '10'],
    ]);
    for (const bad of [{ intervalMs: 0 }, { retentionMs: 1.5 }, { flushMs: -1 }, { maxBatch: 0 }]) {
      expect(codeOf(() => createHistoryRecorder({ history: s.r.history, now: () => 0, ...bad }), ControllerError), JSON.stringify(bad)).toBe('BAD_INPUT');
    }
  });
});
