import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineAssembler, terminalLine } from '../../../hal/console-lines.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LineAssembler', () => {
  it('ends lines at CR, LF and CR LF (one line, not two), across chunk boundaries', () => {
    const a = new LineAssembler();
    expect(a.push(bytes('status\r')).lines).toEqual(['status']);
    expect(a.push(bytes('\nwallet\n')).lines).toEqual(['wallet']); // the LF of CR LF split over two reads
    expect(a.push(bytes('log')).lines).toEqual([]);
    expect(a.push(bytes('s\r\n\r\n')).lines).toEqual(['logs', '']);
  });

  it('applies backspace (DEL and BS) and drops arrow-key escape sequences and other control characters', () => {
    const a = new LineAssembler();
    expect(a.push(bytes('statx\x7fus\x1b[A\x1b[1;5C\x1bOB\x03\x07\r')).lines).toEqual(['status']);
    expect(a.push(bytes('ab\b\bwallet\r')).lines).toEqual(['wallet']);
    expect(a.push(bytes('\x7f\x7fok\r')).lines).toEqual(['ok']); // backspace on an empty line does nothing
  });

  it('keeps a UTF-8 character split across reads whole', () => {
    const a = new LineAssembler();
    const euro = bytes('€'); // 3 bytes
    expect(a.push(euro.subarray(0, 1)).lines).toEqual([]);
    expect(a.push(euro.subarray(1)).lines).toEqual([]);
    expect(a.push(bytes('\r')).lines).toEqual(['€']);
  });

  it('discards an over-long line whole and counts it, then reads the next one normally', () => {
    const a = new LineAssembler({ maxLineChars: 8 });
    const r = a.push(bytes('0123456789abcdef\rshort\r'));
    expect(r.lines).toEqual(['short']);
    expect(r.overflowed).toBe(1);
  });

  it('echoes what was typed, with CR LF for Enter and erase for backspace', () => {
    const a = new LineAssembler({ echo: true });
    expect(a.push(bytes('ab\x7fc\r')).echo).toBe('ab\b \bc\r\n');
    expect(new LineAssembler().push(bytes('ab\r')).echo).toBe('');
  });

  it('property: text without control characters comes back line for line, however it is chunked', () => {
    const line = fc.string({ maxLength: 40 }).map((s) => [...s].filter((c) => c.charCodeAt(0) >= 0x20 && c !== '\x7f').join(''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom('\r', '\n', '\r\n'), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (lines, end, cuts) => {
        const input = bytes(lines.map((l) => l + end).join(''));
        const a = new LineAssembler({ maxLineChars: 100 });
        const got: string[] = [];
        let i = 0;
        for (let c = 0; i < input.length; c++) {
          const n = cuts[c % cuts.length]!;
          got.push(...a.push(input.subarray(i, i + n)).lines);
          i += n;
        }
        expect(got).toEqual(lines);
      }),
      { numRuns: 500 },
    );
  });
});

describe('terminalLine', () => {
  it('turns every newline into CR LF and ends with one', () => {
    expect(terminalLine('a\nb\r\nc')).toBe('a\r\nb\r\nc\r\n');
    expect(terminalLine('')).toBe('\r\n');
  });
});
