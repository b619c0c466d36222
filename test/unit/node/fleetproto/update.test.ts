import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FleetProtoError,
  parseUpdateReport,
  repositoryPath,
  UPDATE_KEY,
  updateOfferOf,
  updateReportJson,
  withoutUpdateOffer,
  withUpdateOffer,
} from '../../../../node/fleetproto/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { cborValue } from '../../../support/wire-arbitraries.ts';

const offer = { director: new Uint8Array([1, 2, 3]), directorRoots: [new Uint8Array([4])], repository: 'https://fleet.example/repo/' };

describe('update offer in the desired state', () => {
  it('is carried under its key beside the config, and taken out again', () => {
    const desired = withUpdateOffer({ logLevel: 'debug' }, offer);
    expect(updateOfferOf(desired)).toEqual(offer);
    expect(withoutUpdateOffer(desired)).toEqual({ logLevel: 'debug' });
    expect(updateOfferOf({ logLevel: 'debug' })).toBeUndefined();
    expect(updateOfferOf(withUpdateOffer(undefined, offer))).toEqual(offer);
    expect(withoutUpdateOffer([1])).toEqual([1]);
  });

  it('refuses a malformed offer naming what is wrong', () => {
    const refusal = (value: unknown) => {
      try {
        updateOfferOf({ [UPDATE_KEY]: value } as never);
      } catch (error) {
        if (error instanceof FleetProtoError) return `${error.code}: ${error.message}`;
        throw error;
      }
      return 'accepted';
    };
    expect(refusal({ ...offer, director: 'text' })).toMatch(/^MALFORMED: the desired state's update offer: .*director/);
    expect(refusal({ ...offer, director: new Uint8Array(16 * 1024 + 1) })).toMatch(/^MALFORMED: .*director/);
    expect(refusal({ ...offer, directorRoots: Array.from({ length: 9 }, () => new Uint8Array(1)) })).toMatch(/^MALFORMED: .*directorRoots/);
    expect(refusal({ ...offer, repository: 'not a url' })).toBe('MALFORMED: the update offer\'s repository is not a URL: not a url');
    expect(refusal({ ...offer, repository: 'file:///etc/' })).toBe('MALFORMED: the update offer\'s repository must be http(s), not file:');
    expect(refusal(offer)).toBe('accepted');
  });

  it('any CBOR value as the offer is an offer or MALFORMED, never another error', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const code = codeOf(() => updateOfferOf({ [UPDATE_KEY]: value }), FleetProtoError);
        expect(code === undefined || code === 'MALFORMED').toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('repository paths', () => {
  it('names the documents, the root versions and the targets', () => {
    expect(repositoryPath({ document: 'timestamp' })).toBe('metadata/timestamp');
    expect(repositoryPath({ root: 3 })).toBe('metadata/root/3');
    expect(repositoryPath({ target: 'ame-1.0.0-arm64.tar.gz' })).toBe('targets/ame-1.0.0-arm64.tar.gz');
    expect(repositoryPath({ target: '../x y' })).toBe('targets/..%2Fx%20y');
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(codeOf(() => repositoryPath({ root: bad }), FleetProtoError)).toBe('MALFORMED');
  });
});

describe('update report', () => {
  it('round-trips every status and keeps only the contract\'s fields', () => {
    const report = { status: 'rolled-back', target: 'ame-2.0.0-x64.tar.gz', running: 'ame-1.0.0-x64.tar.gz', code: 'UNHEALTHY', reason: 'no peers' } as const;
    expect(parseUpdateReport(JSON.parse(JSON.stringify(updateReportJson(report))))).toEqual(report);
    expect(parseUpdateReport({ status: 'idle', target: null, running: null, extra: 'dropped' })).toEqual({ status: 'idle', target: null, running: null });
  });

  it('refuses a report with a bad field, naming it', () => {
    const base = { status: 'failed', target: 't', running: null };
    const message = (value: unknown) => {
      try {
        parseUpdateReport(value);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(message([])).toBe('an update report is a JSON object');
    expect(message({ ...base, status: 'done' })).toMatch(/"status" must be one of idle, waiting-lock/);
    expect(message({ ...base, target: '' })).toMatch(/"target" must be a target name or null/);
    expect(message({ ...base, running: 7 })).toMatch(/"running"/);
    expect(message({ ...base, code: 'x'.repeat(1025) })).toMatch(/"code" must be text/);
    expect(message({ ...base, reason: 3 })).toMatch(/"reason" must be text/);
  });

  it('any JSON is a report or MALFORMED', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const code = codeOf(() => parseUpdateReport(value), FleetProtoError);
        expect(code === undefined || code === 'MALFORMED').toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
