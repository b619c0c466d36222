import { describe, expect, expectTypeOf, it } from 'vitest';
import { WireError, decodeCbor, encodeCbor, s, type Infer } from '../../../../node/wire/index.ts';

function schemaMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).code).toBe('SCHEMA');
    return (error as WireError).message;
  }
  throw new Error('expected a SCHEMA error');
}

const transfer = s.struct({
  to: s.bytes({ len: 20 }),
  memo: s.optional(s.text({ max: 8 })),
  items: s.array(s.struct({ id: s.uint({ max: 99 }), amount: s.u64(), fast: s.bool() }), { max: 4 }),
  kind: s.literal('pay'),
});

const good = {
  to: new Uint8Array(20),
  items: [
    { id: 1, amount: 5n, fast: true },
    { id: 2, amount: 2n ** 60n, fast: false },
  ],
  kind: 'pay',
};

describe('schemas', () => {
  it('infers the body type, optional keys included', () => {
    type Transfer = Infer<typeof transfer>;
    expectTypeOf<Transfer>().toEqualTypeOf<{
      readonly to: Uint8Array;
      readonly items: readonly { readonly id: number; readonly amount: bigint; readonly fast: boolean }[];
      readonly kind: 'pay';
      readonly memo?: string;
    }>();
  });

  it('accepts a valid value and coerces decoded integers to the declared type', () => {
    const decoded = decodeCbor(encodeCbor(good));
    // 5n went over the wire as a small integer and came back as the number 5; u64 makes it a bigint again.
    expect((decoded as { items: { amount: unknown }[] }).items[0]!.amount).toBe(5);
    const parsed = transfer.parse(decoded, 'body');
    expect(parsed.items[0]!.amount).toBe(5n);
    expect(parsed.items[1]!.amount).toBe(2n ** 60n);
    expect(parsed).toEqual(good);
    expect(transfer.parse({ ...good, memo: 'hi' }, 'body').memo).toBe('hi');
  });

  it('names the field path in every error', () => {
    const item = (patch: object) => ({
      ...good,
      items: [good.items[0], good.items[1], { id: 3, amount: 1n, fast: true, ...patch }],
    });
    expect(schemaMessage(() => transfer.parse(item({ amount: 'ten' }), 'body'))).toBe(
      'body.items[2].amount: expected unsigned integer, got text',
    );
    expect(schemaMessage(() => transfer.parse(item({ amount: -1 }), 'body'))).toBe(
      'body.items[2].amount: expected unsigned integer, got negative integer',
    );
    expect(schemaMessage(() => transfer.parse(item({ amount: 2n ** 64n }), 'body'))).toMatch(
      /^body\.items\[2\]\.amount: 18446744073709551616 exceeds the maximum/,
    );
    expect(schemaMessage(() => transfer.parse(item({ id: 100 }), 'body'))).toBe(
      'body.items[2].id: 100 exceeds the maximum 99',
    );
    expect(schemaMessage(() => transfer.parse(item({ fast: 1 }), 'body'))).toBe(
      'body.items[2].fast: expected boolean, got integer',
    );
    expect(schemaMessage(() => transfer.parse({ ...good, to: new Uint8Array(19) }, 'body'))).toBe(
      'body.to: expected exactly 20 bytes, got 19',
    );
    expect(schemaMessage(() => transfer.parse({ ...good, memo: 'ü'.repeat(5) }, 'body'))).toBe(
      'body.memo: expected text of 0…8 UTF-8 bytes, got 10',
    );
    expect(schemaMessage(() => transfer.parse({ ...good, kind: 'refund' }, 'body'))).toBe(
      'body.kind: expected "pay", got "refund"',
    );
    expect(schemaMessage(() => transfer.parse({ ...good, items: Array(5).fill(good.items[0]) }, 'body'))).toBe(
      'body.items: expected 0…4 items, got 5',
    );
    expect(schemaMessage(() => transfer.parse([], 'body'))).toBe('body: expected map, got array');
    expect(schemaMessage(() => transfer.parse(null, ''))).toBe('value: expected map, got null');
  });

  it('is exact: unknown and missing keys are errors', () => {
    expect(schemaMessage(() => transfer.parse({ ...good, extra: 1 }, 'body'))).toBe('body.extra: unknown field');
    expect(schemaMessage(() => transfer.parse({ ...good, 'a b': 1 }, 'body'))).toBe('body["a b"]: unknown field');
    const { to: _to, ...missing } = good;
    expect(schemaMessage(() => transfer.parse(missing, 'body'))).toBe('body.to: missing (expected 20 bytes)');
    const proto = JSON.parse('{"__proto__": 1}') as object;
    expect(schemaMessage(() => transfer.parse({ ...good, ...proto }, 'body'))).toBe('body.__proto__: unknown field');
    // An optional key set to undefined counts as absent (encode-side convenience; decoded data has no undefined).
    expect(transfer.parse({ ...good, memo: undefined }, 'body')).not.toHaveProperty('memo');
  });

  it('checks each primitive', () => {
    expect(s.uint().parse(2n, 'x')).toBe(2);
    expect(schemaMessage(() => s.uint().parse(1.5, 'x'))).toBe('x: expected unsigned integer, got float');
    expect(schemaMessage(() => s.uint().parse(2n ** 53n, 'x'))).toMatch(/exceeds the maximum 9007199254740991/);
    expect(s.u64().parse(7, 'x')).toBe(7n);
    expect(s.u64({ max: 10n }).parse(10n, 'x')).toBe(10n);
    expect(schemaMessage(() => s.u64({ max: 10n }).parse(11, 'x'))).toBe('x: 11 exceeds the maximum 10');
    expect(schemaMessage(() => s.bytes({ min: 2, max: 3 }).parse(new Uint8Array(4), 'x'))).toBe(
      'x: expected 2…3 bytes, got 4',
    );
    expect(schemaMessage(() => s.bytes({ min: 2 }).parse(new Uint8Array(1), 'x'))).toBe(
      'x: expected at least 2 bytes, got 1',
    );
    expect(schemaMessage(() => s.bytes().parse('ab', 'x'))).toBe('x: expected bytes, got text');
    expect(s.literal(3).parse(3n, 'x')).toBe(3);
    expect(schemaMessage(() => s.literal(true).parse(false, 'x'))).toBe('x: expected true, got boolean');
    expect(s.raw().parse({ any: [1] }, 'x')).toEqual({ any: [1] });
  });

  it('validates records of one schema', () => {
    const counts = s.record(s.uint(), { max: 2 });
    expect(counts.parse({ a: 1, b: 2 }, 'counts')).toEqual({ a: 1, b: 2 });
    expect(schemaMessage(() => counts.parse({ a: 1, b: 'x' }, 'counts'))).toBe(
      'counts.b: expected unsigned integer, got text',
    );
    expect(schemaMessage(() => counts.parse({ a: 1, b: 2, c: 3 }, 'counts'))).toBe(
      'counts: expected at most 2 entries, got 3',
    );
  });

  it('keeps hostile keys short in messages', () => {
    const message = schemaMessage(() => transfer.parse({ ...good, ['k'.repeat(10_000)]: 1 }, 'body'));
    expect(message.length).toBeLessThan(100);
  });
});
