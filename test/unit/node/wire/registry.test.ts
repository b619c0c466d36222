import { describe, expect, it } from 'vitest';
import {
  Registry,
  WireError,
  createRegistry,
  defineMessage,
  heartbeat,
  ping,
  pong,
  s,
} from '../../../../node/wire/index.ts';

describe('registry', () => {
  it('knows types by name and version and takes the largest size limit', () => {
    const registry = createRegistry([ping, heartbeat]);
    expect(registry.get('ping', 1)).toBe(ping);
    expect(registry.get('ping', 2)).toBeUndefined();
    expect(registry.has('pong')).toBe(false);
    expect(registry.maxSize).toBe(heartbeat.maxSize);
    expect(registry.versions('ping')).toEqual([1]);
    expect(registry.versions('pong')).toEqual([]);
  });

  it('extends into a new registry and leaves the old one unchanged', () => {
    const base = createRegistry([ping]);
    const more = base.with(pong);
    expect(more.has('pong')).toBe(true);
    expect(base.has('pong')).toBe(false);
    expect([...more.all()].map((t) => t.type).sort()).toEqual(['ping', 'pong']);
  });

  it('refuses the same type and version twice', () => {
    const again = defineMessage('ping', 1, s.struct({}));
    expect(() => createRegistry([ping, again])).toThrowError(WireError);
    expect(() => createRegistry([ping]).with(again)).toThrowError(/ping v1 is registered twice/);
    expect(createRegistry([ping, defineMessage('ping', 3, s.struct({}))]).versions('ping')).toEqual([1, 3]);
  });

  it('is an ordinary object: two registries share nothing', () => {
    const a = new Registry([ping]);
    const b = new Registry([pong]);
    expect(a.has('pong')).toBe(false);
    expect(b.has('ping')).toBe(false);
    expect(new Registry([]).maxSize).toBe(0);
  });
});
