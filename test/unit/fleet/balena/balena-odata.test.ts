/** The OData parsing of the local balena API server (test/support/balena-odata.ts), which stands in for balenaCloud. */
import { describe, expect, it } from 'vitest';
import { ODataError, parseFilter, parseKey, parseOptions } from '../../../support/balena-odata.ts';

describe('the local balena API server: OData parsing', () => {
  it('parses the filters balena-sdk writes, with and binding tighter than or', () => {
    expect(parseFilter("slug eq 'o/f' or uuid eq 'o/f' and id eq 1")).toEqual({
      op: 'or',
      left: { op: 'cmp', cmp: 'eq', path: ['slug'], value: 'o/f' },
      right: {
        op: 'and',
        left: { op: 'cmp', cmp: 'eq', path: ['uuid'], value: 'o/f' },
        right: { op: 'cmp', cmp: 'eq', path: ['id'], value: 1 },
      },
    });
    expect(parseFilter("uuid in ('a','it''s') and not (is_online eq true) and x ne null")).toEqual({
      op: 'and',
      left: {
        op: 'and',
        left: { op: 'in', path: ['uuid'], values: ['a', "it's"] },
        right: { op: 'not', inner: { op: 'cmp', cmp: 'eq', path: ['is_online'], value: true } },
      },
      right: { op: 'cmp', cmp: 'ne', path: ['x'], value: null },
    });
    expect(parseFilter('belongs_to__application/slug ge -2.5')).toEqual({ op: 'cmp', cmp: 'ge', path: ['belongs_to__application', 'slug'], value: -2.5 });
  });

  it('refuses malformed or unsupported filters with a message naming the problem', () => {
    const cases: [string, RegExp][] = [
      ["uuid eq 'open", /unterminated string/],
      ['uuid has 1', /unsupported operator has/],
      ['uuid eq', /ends too early/],
      ['(uuid eq 1', /ends too early/],
      ['uuid eq 1)', /unexpected "\)"/],
      ['uuid eq 1 uuid', /unexpected "uuid"/],
      ['a/b/c eq 1', /unsupported path a\/b\/c/],
      ['tags/any(t:t/k eq 1)', /unexpected ":"/],
      ['uuid in ()', /expected a value/],
      ['eq eq 1', /expected a field/],
      ['uuid eq #', /unexpected "#"/],
    ];
    for (const [text, message] of cases) expect(() => parseFilter(text), text).toThrow(message);
    expect(() => parseFilter('x eq')).toThrow(ODataError);
  });

  it('parses resource keys: ids, strings and named alternate keys', () => {
    expect(parseKey('5')).toEqual({ id: 5 });
    expect(parseKey("'abc'")).toEqual({ id: 'abc' });
    expect(parseKey("uuid='abc'")).toEqual({ fields: { uuid: 'abc' } });
    expect(parseKey("device=1,tag_key='x'")).toEqual({ fields: { device: 1, tag_key: 'x' } });
    expect(() => parseKey('uuid=')).toThrow(ODataError);
    expect(() => parseKey("5 'x'")).toThrow(/bad resource key/);
  });

  it('parses $select, $orderby, $top, $skip and nested $expand; refuses other options', () => {
    const o = parseOptions([
      ['$select', 'uuid,device_name'],
      ['$orderby', 'device_name asc,id desc'],
      ['$top', '1'],
      ['$skip', '2'],
      ['$expand', "is_running__release($select=commit),device_tag($select=tag_key,value;$filter=tag_key in ('a','b,c)')),owns__device"],
    ]);
    expect(o.select).toEqual(['uuid', 'device_name']);
    expect(o.orderby).toEqual([{ field: 'device_name', desc: false }, { field: 'id', desc: true }]);
    expect([o.top, o.skip]).toEqual([1, 2]);
    expect([...(o.expand?.keys() ?? [])]).toEqual(['is_running__release', 'device_tag', 'owns__device']);
    expect(o.expand?.get('device_tag')).toEqual({ select: ['tag_key', 'value'], filter: { op: 'in', path: ['tag_key'], values: ['a', 'b,c)'] } });
    expect(o.expand?.get('owns__device')).toEqual({});
    for (const [name, value, message] of [
      ['$top', '-1', /whole number/],
      ['$select', 'a,,b', /not a field name/],
      ['$orderby', 'id sideways', /asc\|desc/],
      ['$expand', 'a($select=x', /unbalanced/],
      ['$expand', 'a($select)', /has no value/],
      ['$count', 'true', /unsupported query option/],
    ] as const) {
      expect(() => parseOptions([[name, value]]), `${name}=${value}`).toThrow(message);
    }
  });
});
