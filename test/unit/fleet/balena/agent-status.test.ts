import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAgentStatus, parseAgentStatus, parseGroups } from '../../../../fleet/balena/index.ts';
import { REPORT_STATUSES } from '../../../../fleet/rollout/index.ts';

const commit = fc.stringMatching(/^[0-9a-f]{7,64}$/);

describe('the agent status tag', () => {
  it('parses what it formats, for every status and commit', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REPORT_STATUSES), commit, (status, release) => {
        expect(parseAgentStatus(formatAgentStatus({ status, release }))).toEqual({ status, release });
      }),
    );
  });

  it('reads anything else as no verdict, never throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        const parsed = parseAgentStatus(value);
        if (parsed !== null) expect(value.trim()).toBe(formatAgentStatus(parsed));
      }),
    );
    for (const value of ['', 'healthy', `healthy ${'A'.repeat(40)}`, `fine ${'a'.repeat(40)}`, `failed ${'a'.repeat(40)} extra`, `failed ${'a'.repeat(6)}`]) {
      expect(parseAgentStatus(value)).toBeNull();
    }
  });

  it('reads groups from a comma-separated tag, dropping blanks, repeats and malformed names', () => {
    expect(parseGroups(' canary ,lab,,canary,two words,ok-1')).toEqual(['canary', 'lab', 'ok-1']);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (value) => {
        for (const g of parseGroups(value)) expect(g).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
      }),
    );
  });
});
