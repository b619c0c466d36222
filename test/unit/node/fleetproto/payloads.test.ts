import { describe, expect, it } from 'vitest';
import {
  decodeCommandResult,
  decodeJsonObject,
  decodeOnline,
  encodeCommandResult,
  encodeJson,
  FleetProtoError,
} from '../../../../node/fleetproto/index.ts';
import { codeOf } from '../../../support/error-code.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('device payloads', () => {
  it('round-trip command results', () => {
    const result = { kind: 'cmd', seq: 4, ok: false, code: 'REPLAY', reason: 'cmd 4 was already accepted' } as const;
    expect(decodeCommandResult(encodeCommandResult(result))).toEqual(result);
    const refusedEarly = '{"kind":"desired","seq":null,"ok":true,"msgId":3,"time":5}';
    expect(decodeCommandResult(utf8(refusedEarly))).toMatchObject({ seq: null });
  });

  it('refuse results with missing or mistyped fields', () => {
    const bad = [
      '{}',
      '{"kind":"x","seq":1,"ok":true}',
      '{"kind":"cmd","seq":-1,"ok":true}',
      '{"kind":"cmd","seq":1}',
      '{"kind":"cmd","seq":1,"ok":true,"code":5}',
      '[1]',
      'true',
      '{',
    ];
    for (const text of bad) {
      expect(codeOf(() => decodeCommandResult(utf8(text)), FleetProtoError), text).toBe('MALFORMED');
    }
  });

  it('encode only JSON objects within the limit', () => {
    expect(codeOf(() => encodeJson({ n: 1n } as never), FleetProtoError)).toBe('MALFORMED');
    expect(codeOf(() => encodeJson({ s: 'x'.repeat(100) }, 50), FleetProtoError)).toBe('TOO_LARGE');
    expect(codeOf(() => decodeJsonObject(utf8('{"s":"xxxxxxxxxxxxxxx"}'), 10), FleetProtoError)).toBe('TOO_LARGE');
    expect(codeOf(() => decodeJsonObject(new Uint8Array([0x7b, 0xff, 0x7d])), FleetProtoError)).toBe('MALFORMED');
  });

  it('read online as exactly true or false', () => {
    expect(decodeOnline(utf8('true'))).toBe(true);
    expect(decodeOnline(utf8('false'))).toBe(false);
    for (const text of ['', '1', 'TRUE', 'true ', 'falsey']) {
      expect(codeOf(() => decodeOnline(utf8(text)), FleetProtoError)).toBe('MALFORMED');
    }
  });
});
