/** The history endpoint's query parsing: canonical decimal integers in range, or BAD_QUERY; nothing else escapes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControllerError } from '../../../../fleet/controller/errors.ts';
import { parseHistoryQuery } from '../../../../fleet/controller/history-query.ts';
import { MAX_HISTORY_LIMIT } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const parse = (query: string) => parseHistoryQuery(new URLSearchParams(query));
const refusal = (query: string) => codeOf(() => parse(query), ControllerError);

describe('history query', () => {
  it('takes since and limit as decimal integers in range, each optional', () => {
    expect(parse('')).toEqual({});
    expect(parse('since=0&limit=1')).toEqual({ since: 0, limit: 1 });
    expect(parse(`limit=${MAX_HISTORY_LIMIT}`)).toEqual({ limit: MAX_HISTORY_LIMIT });
    expect(parse(`since=${Number.MAX_SAFE_INTEGER}`)).toEqual({ since: Number.MAX_SAFE_INTEGER });
    expect(parse('since=007')).toEqual({ since: 7 });
  });

  it('refuses unknown, repeated, empty, signed, fractional, exponent and out-of-range parameters as BAD_QUERY', () => {
    for (const q of ['until=5', 'since=1&since=2', 'since=', 'limit=', 'since=-1', 'since=+1', 'since=1.5', 'since=1e3', 'since=%201', 'since=0x10', 'limit=0', `limit=${MAX_HISTORY_LIMIT + 1}`, 'since=9007199254740992', 'since=99999999999999999', 'limit=abc']) {
      expect(refusal(q), q).toBe('BAD_QUERY');
    }
  });

  it('reads back any integer in range written in decimal', () => {
    fc.assert(
      fc.property(fc.option(fc.maxSafeNat(), { nil: undefined }), fc.option(fc.integer({ min: 1, max: MAX_HISTORY_LIMIT }), { nil: undefined }), (since, limit) => {
        const q = new URLSearchParams();
        if (since !== undefined) q.set('since', String(since));
        if (limit !== undefined) q.set('limit', String(limit));
        expect(parseHistoryQuery(q)).toEqual({ ...(since === undefined ? {} : { since }), ...(limit === undefined ? {} : { limit }) });
      }),
    );
  });

  it('answers any query string with a parse or a BAD_QUERY, never another error', () => {
    const key = fc.constantFrom('since', 'limit', 'until', 'Since', '');
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), fc.double().map(String));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 4 }), (pairs) => {
        const q = new URLSearchParams(pairs);
        const code = codeOf(() => parseHistoryQuery(q), ControllerError);
        const valid = pairs.every(([k]) => k === 'since' || k === 'limit') && new Set(pairs.map(([k]) => k)).size === pairs.length;
        if (!valid) expect(code).toBe('BAD_QUERY');
        if (code === undefined) {
          const parsed = parseHistoryQuery(q);
          for (const [k, v] of pairs) expect(String(parsed[k as 'since' | 'limit'])).toBe(String(Number(v)));
        }
      }),
    );
  });
});
