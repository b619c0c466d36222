/** Nibble paths (nibble-path.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNodePath, keyHasPrefix, keyHex, nibbleAt, packPath, sharedNibbles, unpackPath } from '../../../../node/store/nibble-path.ts';

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('nibble paths', () => {
  it('reads nibbles high first and agrees with the hex form', () => {
    fc.assert(
      fc.property(keyArb, (key) => {
        const hex = keyHex(key);
        for (let d = 0; d < 64; d++) expect(nibbleAt(key, d)).toBe(Number.parseInt(hex[d]!, 16));
        expect(keyHasPrefix(key, hex.slice(0, 17))).toBe(true);
      }),
    );
  });

  it('counts shared nibbles', () => {
    fc.assert(
      fc.property(keyArb, keyArb, (a, b) => {
        const ha = keyHex(a);
        const hb = keyHex(b);
        let n = 0;
        while (n < 64 && ha[n] === hb[n]) n++;
        expect(sharedNibbles(a, b)).toBe(n);
      }),
    );
  });

  it('packs and unpacks paths, refusing a set pad nibble', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{0,63}$/), (path) => {
        const out: number[] = [];
        packPath(path, out);
        expect(unpackPath(Uint8Array.from(out), 0)).toEqual({ path, end: out.length });
        expect(isNodePath(path)).toBe(true);
      }),
    );
    expect(unpackPath(Uint8Array.of(1, 0x1f), 0)).toBeUndefined();
    expect(unpackPath(Uint8Array.of(64), 0)).toBeUndefined();
    expect(isNodePath('0g')).toBe(false);
  });
});
