import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numberOption } from '../../../cli/args.ts';
import { CliError } from '../../../cli/errors.ts';

const port = (text: string | undefined) => numberOption('port', text, 8080, (n) => Number.isSafeInteger(n) && n >= 1 && n <= 65535, 'a port 1…65535');

describe('numberOption', () => {
  it('gives the fallback when the option is absent and the number when the rule accepts it', () => {
    expect(port(undefined)).toBe(8080);
    expect(port('1')).toBe(1);
    expect(port('65535')).toBe(65535);
  });

  it('refuses empty, non-numeric and out-of-rule text with a USAGE error naming the option and the rule', () => {
    for (const text of ['', ' ', 'abc', '0', '65536', '1.5', '-3', 'NaN']) {
      let error: unknown;
      try {
        port(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(CliError);
      expect((error as CliError).code).toBe('USAGE');
      expect((error as CliError).message).toBe(`--port must be a port 1…65535, got "${text}"`);
    }
  });

  it('never returns a value its rule refuses, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const n = port(text);
          expect(Number.isSafeInteger(n) && n >= 1 && n <= 65535).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
        }
      }),
    );
  });
});
