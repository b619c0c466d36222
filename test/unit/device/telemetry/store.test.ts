import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TelemetryError, TelemetryStore } from '../../../../device/telemetry/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-telemetry-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('the telemetry store', () => {
  it('keeps queued messages and sequence numbers across a reopen, in order, with ids never reused', () => {
    const path = join(dir, 'reopen.sqlite');
    const store = new TelemetryStore(path);
    const ids = ['a', 'b', 'c'].map((x) => store.enqueue('events', `t/${x}`, false, (id) => bytes(`${x}${id}`), 100).id);
    expect(ids).toEqual([1, 2, 3]);
    store.remove(3);
    store.remove(3);
    store.save('cmd', 7);
    store.close();
    expect(codeOf(() => store.peek(1), TelemetryError)).toBe('CLOSED');

    const again = new TelemetryStore(path);
    expect(again.size).toBe(2);
    expect(again.peek(10).map((r) => [r.id, r.topic, text(r.payload), r.retain])).toEqual([
      [1, 't/a', 'a1', false],
      [2, 't/b', 'b2', false],
    ]);
    expect(again.enqueue('state', 't/s', true, (id) => bytes(`s${id}`), 100).id).toBe(4);
    expect(again.last('cmd')).toBe(7);
    expect(again.last('desired')).toBeUndefined();
    again.close();
  });

  it('drops the oldest telemetry first when full, then the oldest of other kinds', () => {
    const store = new TelemetryStore(join(dir, 'full.sqlite'));
    const put = (kind: 'telemetry' | 'events', name: string) => store.enqueue(kind, name, false, () => bytes(name), 3);
    put('events', 'e1');
    put('telemetry', 't1');
    put('telemetry', 't2');
    expect(put('events', 'e2').dropped).toBe(1);
    expect(store.peek(10).map((r) => r.topic)).toEqual(['e1', 't2', 'e2']);
    put('events', 'e3');
    expect(store.peek(10).map((r) => r.topic)).toEqual(['e1', 'e2', 'e3']);
    put('events', 'e4');
    expect(store.peek(10).map((r) => r.topic)).toEqual(['e2', 'e3', 'e4']);
    expect(store.size).toBe(3);
    store.close();
  });

  it('refuses a file that is not a telemetry store, and queues nothing when the payload fails', () => {
    const junk = join(dir, 'junk.sqlite');
    writeFileSync(junk, 'not a database, just text that is long enough to look like a header or not'.repeat(20));
    expect(codeOf(() => new TelemetryStore(junk), TelemetryError)).toBe('BAD_STORE');
    const store = new TelemetryStore(join(dir, 'rollback.sqlite'));
    expect(() =>
      store.enqueue('events', 't', false, () => {
        throw new Error('cannot build');
      }, 10),
    ).toThrow(TelemetryError);
    expect(store.size).toBe(0);
    expect(store.peek(10)).toEqual([]);
    store.close();
  });
});
