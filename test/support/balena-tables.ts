/**
 * The in-memory tables of the local balena API server (test/support/balena-api.ts) and the evaluation of parsed
 * OData queries over them: filters, ordering, paging, `$select` and `$expand`, keyed lookups, writable fields and
 * natural keys. Navigation fields are stored as ids and answered as pine does: `{ __id }` unless expanded, an
 * array (of one or none for a to-one link) when expanded.
 */
import type { Filter, Literal, QueryOptions, ResourceKey } from './balena-odata.ts';

export type Row = Record<string, Literal>;

interface ResourceDef {
  /** Plain fields (stored or computed). */
  readonly fields: readonly string[];
  /** Navigation fields holding one id of another resource. */
  readonly toOne: Readonly<Record<string, string>>;
  /** Reverse navigation: rows of `resource` whose `via` names this row. */
  readonly toMany: Readonly<Record<string, { readonly resource: string; readonly via: string }>>;
  readonly writable: readonly string[];
  /** Natural keys: a POST repeating one is a 409 naming a unique constraint, as pine answers. */
  readonly unique: readonly (readonly string[])[];
}

const SCHEMA: Readonly<Record<string, ResourceDef>> = {
  application: {
    fields: ['id', 'app_name', 'slug', 'uuid', 'should_track_latest_release'],
    toOne: { should_be_running__release: 'release' },
    toMany: { owns__device: { resource: 'device', via: 'belongs_to__application' } },
    writable: ['should_be_running__release', 'should_track_latest_release'],
    unique: [['slug']],
  },
  release: {
    fields: ['id', 'commit', 'status', 'created_at'],
    toOne: { belongs_to__application: 'application' },
    toMany: {},
    writable: [],
    unique: [['commit']],
  },
  device: {
    fields: ['id', 'uuid', 'device_name', 'is_online', 'overall_status'],
    toOne: {
      belongs_to__application: 'application',
      is_running__release: 'release',
      is_pinned_on__release: 'release',
      should_be_running__release: 'release',
    },
    toMany: {
      device_tag: { resource: 'device_tag', via: 'device' },
      device_environment_variable: { resource: 'device_environment_variable', via: 'device' },
    },
    writable: ['is_pinned_on__release', 'device_name'],
    unique: [['uuid']],
  },
  device_tag: {
    fields: ['id', 'tag_key', 'value'],
    toOne: { device: 'device' },
    toMany: {},
    writable: ['value', 'tag_key', 'device'],
    unique: [['device', 'tag_key']],
  },
  device_environment_variable: {
    fields: ['id', 'name', 'value'],
    toOne: { device: 'device' },
    toMany: {},
    writable: ['value', 'name', 'device'],
    unique: [['device', 'name']],
  },
  application_environment_variable: {
    fields: ['id', 'name', 'value'],
    toOne: { application: 'application' },
    toMany: {},
    writable: ['value', 'name', 'application'],
    unique: [['application', 'name']],
  },
};

/** An answer other than 200 with the reason as its text; the server logs it and tests read `unsupported()`. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface Tables {
  table(name: string): Row[];
  insert(name: string, row: Row): Row;
  byId(name: string, id: Literal): Row | undefined;
  /** A field's value, computed ones included (a device's should_be_running__release, its overall_status). */
  value(resource: string, row: Row, field: string): Literal;
  /** Rows of `resource` as a GET answers them. */
  query(resource: string, rows: readonly Row[], q: QueryOptions): Row[];
  keyed(resource: string, key: ResourceKey): Row[];
  /** The body of a PATCH or POST, checked: only writable scalar fields, links to rows that exist. */
  writable(resource: string, body: unknown): Row;
  isResource(name: string): boolean;
  uniqueKeys(resource: string): readonly (readonly string[])[];
}

export function createTables(): Tables {
  const tables = new Map<string, Row[]>(Object.keys(SCHEMA).map((name) => [name, []]));
  const nextId = new Map<string, number>();
  const table = (name: string): Row[] => tables.get(name) as Row[];
  const insert = (name: string, row: Row): Row => {
    const id = (nextId.get(name) ?? 0) + 1;
    nextId.set(name, id);
    const full = { ...row, id };
    table(name).push(full);
    return full;
  };
  const byId = (name: string, id: Literal): Row | undefined => table(name).find((r) => r.id === id);

  /** Fields balena computes: the release a device should run and its overall status. */
  const value = (resource: string, row: Row, field: string): Literal => {
    if (resource === 'device' && field === 'should_be_running__release') {
      return row.is_pinned_on__release ?? byId('application', row.belongs_to__application ?? null)?.should_be_running__release ?? null;
    }
    if (resource === 'device' && field === 'overall_status') {
      if (row.is_online !== true) return 'offline';
      return value('device', row, 'should_be_running__release') === row.is_running__release ? 'idle' : 'updating';
    }
    return row[field] ?? null;
  };

  const fieldValue = (resource: string, row: Row, path: readonly string[]): Literal => {
    const def = SCHEMA[resource] as ResourceDef;
    const [first = '', second] = path;
    if (!def.fields.includes(first) && !(first in def.toOne)) throw new ApiError(400, `${resource} has no field ${first}`);
    const v = value(resource, row, first);
    if (second === undefined) return v;
    const target = def.toOne[first];
    if (target === undefined) throw new ApiError(400, `${resource}.${first} is not a navigation field`);
    const linked = byId(target, v);
    return linked === undefined ? null : fieldValue(target, linked, [second]);
  };

  const matches = (resource: string, row: Row, f: Filter): boolean => {
    switch (f.op) {
      case 'and':
        return matches(resource, row, f.left) && matches(resource, row, f.right);
      case 'or':
        return matches(resource, row, f.left) || matches(resource, row, f.right);
      case 'not':
        return !matches(resource, row, f.inner);
      case 'in':
        return f.values.includes(fieldValue(resource, row, f.path));
      case 'cmp': {
        const v = fieldValue(resource, row, f.path);
        if (f.cmp === 'eq') return v === f.value;
        if (f.cmp === 'ne') return v !== f.value;
        if (v === null || f.value === null) return false;
        if (f.cmp === 'gt') return v > f.value;
        if (f.cmp === 'ge') return v >= f.value;
        if (f.cmp === 'lt') return v < f.value;
        return v <= f.value;
      }
    }
  };

  const query = (resource: string, rows: readonly Row[], q: QueryOptions): Row[] => {
    const def = SCHEMA[resource] as ResourceDef;
    let out = q.filter === undefined ? [...rows] : rows.filter((r) => matches(resource, r, q.filter as Filter));
    for (const { field, desc } of [...(q.orderby ?? [])].reverse()) {
      out = out.sort((a, b) => {
        const x = fieldValue(resource, a, [field]) ?? '';
        const y = fieldValue(resource, b, [field]) ?? '';
        return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
      });
    }
    out = out.slice(q.skip ?? 0, q.top === undefined ? undefined : (q.skip ?? 0) + q.top);
    const fields = q.select ?? [...def.fields, ...Object.keys(def.toOne)];
    return out.map((row) => {
      const shaped: Record<string, unknown> = {};
      for (const field of fields) {
        if (field in def.toMany) continue;
        const v = fieldValue(resource, row, [field]);
        shaped[field] = field in def.toOne && v !== null && !q.expand?.has(field) ? { __id: v } : v;
      }
      for (const [nav, inner] of q.expand ?? []) {
        const one = def.toOne[nav];
        const many = def.toMany[nav];
        if (one !== undefined) {
          const linked = byId(one, value(resource, row, nav));
          shaped[nav] = linked === undefined ? [] : query(one, [linked], inner);
        } else if (many !== undefined) {
          shaped[nav] = query(many.resource, table(many.resource).filter((r) => r[many.via] === row.id), inner);
        } else {
          throw new ApiError(400, `${resource} cannot expand ${nav}`);
        }
      }
      return shaped as Row;
    });
  };

  const keyed = (resource: string, key: ResourceKey): Row[] => {
    if ('id' in key) return table(resource).filter((r) => r.id === key.id);
    return table(resource).filter((r) => Object.entries(key.fields).every(([f, v]) => fieldValue(resource, r, [f]) === v));
  };

  const writable = (resource: string, body: unknown): Row => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'the body must be a JSON object');
    const def = SCHEMA[resource] as ResourceDef;
    for (const [field, v] of Object.entries(body)) {
      if (!def.writable.includes(field)) throw new ApiError(400, `${resource}.${field} is not writable here`);
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new ApiError(400, `${resource}.${field} is not a scalar`);
      const target = def.toOne[field];
      if (target !== undefined && v !== null && byId(target, v as Literal) === undefined) throw new ApiError(400, `${resource}.${field}: no ${target} ${String(v)}`);
    }
    return body as Row;
  };

  return {
    table,
    insert,
    byId,
    value,
    query,
    keyed,
    writable,
    isResource: (name) => name in SCHEMA,
    uniqueKeys: (resource) => (SCHEMA[resource] as ResourceDef).unique,
  };
}
