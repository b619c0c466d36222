/**
 * The OData subset that balena-sdk 23 (through pinejs-client-core) writes, parsed for the local balena API server
 * (test/support/balena-api.ts): resource keys (`device(5)`, `device(uuid='…')`, `device_tag(device=1,tag_key='x')`),
 * `$filter` (eq ne gt ge lt le, in, and, or, not, parentheses, one navigation step `a/b`), `$select`, `$orderby`,
 * `$top`, `$skip` and `$expand` with nested options. Anything else is an ODataError, which the server answers 400:
 * a request the SDK makes that this parser does not know must fail a test, never be half-understood.
 */

export class ODataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ODataError';
  }
}

export type Literal = string | number | boolean | null;
export type Comparator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type Filter =
  | { readonly op: 'and' | 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly op: 'not'; readonly inner: Filter }
  | { readonly op: 'cmp'; readonly cmp: Comparator; readonly path: readonly string[]; readonly value: Literal }
  | { readonly op: 'in'; readonly path: readonly string[]; readonly values: readonly Literal[] };

export interface QueryOptions {
  readonly filter?: Filter;
  readonly select?: readonly string[];
  readonly orderby?: readonly { readonly field: string; readonly desc: boolean }[];
  readonly top?: number;
  readonly skip?: number;
  readonly expand?: ReadonlyMap<string, QueryOptions>;
}

/** A resource key: a plain id, or named alternate-key fields. */
export type ResourceKey = { readonly id: Literal } | { readonly fields: Readonly<Record<string, Literal>> };

type Token =
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'word'; readonly v: string }
  | { readonly t: 'punct'; readonly v: '(' | ')' | ',' | '=' };

const COMPARATORS: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const WORD = /[A-Za-z_][A-Za-z0-9_/]*/y;
const NUMBER = /-?\d+(\.\d+)?/y;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ') {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ODataError(`unterminated string in ${JSON.stringify(text)}`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ t: 'str', v: value });
    } else if (c === '(' || c === ')' || c === ',' || c === '=') {
      tokens.push({ t: 'punct', v: c });
      i++;
    } else {
      NUMBER.lastIndex = i;
      WORD.lastIndex = i;
      const num = NUMBER.exec(text);
      const word = num === null ? WORD.exec(text) : null;
      if (num !== null) {
        tokens.push({ t: 'num', v: Number(num[0]) });
        i += num[0].length;
      } else if (word !== null) {
        tokens.push({ t: 'word', v: word[0] });
        i += word[0].length;
      } else {
        throw new ODataError(`unexpected ${JSON.stringify(c)} at ${i} in ${JSON.stringify(text)}`);
      }
    }
  }
  return tokens;
}

class Cursor {
  #i = 0;
  readonly tokens: readonly Token[];
  readonly text: string;

  constructor(tokens: readonly Token[], text: string) {
    this.tokens = tokens;
    this.text = text;
  }
  peek(): Token | undefined {
    return this.tokens[this.#i];
  }
  next(): Token {
    const token = this.tokens[this.#i++];
    if (token === undefined) throw new ODataError(`${JSON.stringify(this.text)} ends too early`);
    return token;
  }
  isWord(word: string): boolean {
    const token = this.peek();
    return token?.t === 'word' && token.v === word;
  }
  expect(punct: string): void {
    const token = this.next();
    if (token.t !== 'punct' || token.v !== punct) throw new ODataError(`expected ${punct} in ${JSON.stringify(this.text)}`);
  }
  done(): boolean {
    return this.#i >= this.tokens.length;
  }
}

function literal(c: Cursor): Literal {
  const token = c.next();
  if (token.t === 'str' || token.t === 'num') return token.v;
  if (token.t === 'word' && token.v === 'null') return null;
  if (token.t === 'word' && (token.v === 'true' || token.v === 'false')) return token.v === 'true';
  throw new ODataError(`expected a value, found ${JSON.stringify(token.v)} in ${JSON.stringify(c.text)}`);
}

function path(c: Cursor): string[] {
  const token = c.next();
  if (token.t !== 'word' || COMPARATORS.has(token.v)) {
    throw new ODataError(`expected a field, found ${JSON.stringify(token.v)} in ${JSON.stringify(c.text)}`);
  }
  const parts = token.v.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new ODataError(`unsupported path ${token.v}`);
  return parts;
}

function primary(c: Cursor): Filter {
  if (c.isWord('not')) {
    c.next();
    return { op: 'not', inner: primary(c) };
  }
  const token = c.peek();
  if (token?.t === 'punct' && token.v === '(') {
    c.next();
    const inner = or(c);
    c.expect(')');
    return inner;
  }
  const p = path(c);
  const op = c.next();
  if (op.t !== 'word') throw new ODataError(`expected an operator after ${p.join('/')} in ${JSON.stringify(c.text)}`);
  if (op.v === 'in') {
    c.expect('(');
    const values: Literal[] = [literal(c)];
    while (c.peek()?.v === ',') {
      c.next();
      values.push(literal(c));
    }
    c.expect(')');
    return { op: 'in', path: p, values };
  }
  if (!COMPARATORS.has(op.v)) throw new ODataError(`unsupported operator ${op.v} in ${JSON.stringify(c.text)}`);
  return { op: 'cmp', cmp: op.v as Comparator, path: p, value: literal(c) };
}

/** `next (word next)*`, left-associative: `and` over primaries, `or` over `and`s. */
function chain(c: Cursor, word: 'and' | 'or', next: (c: Cursor) => Filter): Filter {
  let left = next(c);
  while (c.isWord(word)) {
    c.next();
    left = { op: word, left, right: next(c) };
  }
  return left;
}

const and = (c: Cursor): Filter => chain(c, 'and', primary);

function or(c: Cursor): Filter {
  return chain(c, 'or', and);
}

export function parseFilter(text: string): Filter {
  const c = new Cursor(tokenize(text), text);
  const filter = or(c);
  if (!c.done()) throw new ODataError(`unexpected ${JSON.stringify(c.peek()?.v)} in ${JSON.stringify(text)}`);
  return filter;
}

/** `5`, `'abc'` or `uuid='abc'` / `device=1,tag_key='x'`. */
export function parseKey(text: string): ResourceKey {
  const c = new Cursor(tokenize(text), text);
  const first = c.peek();
  if (first?.t !== 'word' || first.v === 'null' || first.v === 'true' || first.v === 'false') {
    const id = literal(c);
    if (!c.done()) throw new ODataError(`bad resource key ${JSON.stringify(text)}`);
    return { id };
  }
  const fields: Record<string, Literal> = {};
  for (;;) {
    const name = c.next();
    if (name.t !== 'word') throw new ODataError(`bad resource key ${JSON.stringify(text)}`);
    c.expect('=');
    fields[name.v] = literal(c);
    if (c.done()) return { fields };
    c.expect(',');
  }
}

/** Splits at `sep` outside quotes and parentheses. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0 && ch === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw new ODataError(`unbalanced parentheses in ${JSON.stringify(text)}`);
  }
  if (depth !== 0 || quoted) throw new ODataError(`unbalanced parentheses or quotes in ${JSON.stringify(text)}`);
  parts.push(text.slice(start));
  return parts;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fieldList(name: string, text: string): string[] {
  const fields = text.split(',').map((f) => f.trim());
  for (const f of fields) if (!FIELD.test(f)) throw new ODataError(`${name}: ${JSON.stringify(f)} is not a field name`);
  return fields;
}

function count(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new ODataError(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function expandList(text: string): Map<string, QueryOptions> {
  const expand = new Map<string, QueryOptions>();
  for (const item of splitTop(text, ',')) {
    const open = item.indexOf('(');
    const name = (open < 0 ? item : item.slice(0, open)).trim();
    if (!FIELD.test(name)) throw new ODataError(`$expand: ${JSON.stringify(name)} is not a navigation field`);
    if (open >= 0 && !item.endsWith(')')) throw new ODataError(`$expand: ${JSON.stringify(item)} is malformed`);
    const inner = open < 0 ? [] : splitTop(item.slice(open + 1, -1), ';').filter((s) => s !== '');
    expand.set(name, parseOptions(inner.map((pair) => splitPair(pair))));
  }
  return expand;
}

function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq < 0) throw new ODataError(`option ${JSON.stringify(pair)} has no value`);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

/** The query options of one request (or one `$expand` level), from its name/value pairs. */
export function parseOptions(pairs: Iterable<readonly [string, string]>): QueryOptions {
  const o: { -readonly [K in keyof QueryOptions]: QueryOptions[K] } = {};
  for (const [name, value] of pairs) {
    switch (name) {
      case '$filter':
        o.filter = parseFilter(value);
        break;
      case '$select':
        o.select = fieldList(name, value);
        break;
      case '$orderby':
        o.orderby = value.split(',').map((part) => {
          const [field = '', dir = 'asc', ...rest] = part.trim().split(/ +/);
          if (!FIELD.test(field) || (dir !== 'asc' && dir !== 'desc') || rest.length > 0) {
            throw new ODataError(`$orderby: ${JSON.stringify(part)} is not "field asc|desc"`);
          }
          return { field, desc: dir === 'desc' };
        });
        break;
      case '$top':
        o.top = count(name, value);
        break;
      case '$skip':
        o.skip = count(name, value);
        break;
      case '$expand':
        o.expand = expandList(value);
        break;
      default:
        throw new ODataError(`unsupported query option ${JSON.stringify(name)}`);
    }
  }
  return o;
}
