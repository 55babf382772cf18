import { InputError } from '../csv/errors';
import type { ColumnSchema, EntitySpec, Schema } from './types';
import { isModelled } from '../table';

/**
 * The schema's `entities`, checked (a user may have edited them) and arranged as the chain the
 * generator keeps: a top entity (a patient), then at most one entity nested in each (admissions in
 * the patient, ICU stays in the admission).
 */

/** Check the entities of a schema: keys and parents exist, no cycles, constants and sequence are columns. */
export function checkEntities(schema: Schema, file: string): void {
  const entities = schema.entities;
  if (!entities?.length) return;
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const keys = new Map<string, EntitySpec>();
  const names = schema.columns.map((c) => c.name).join(', ');
  for (const entity of entities) {
    const fail = (detail: string): never => {
      throw new InputError(`entities: ${detail}`, { file, columnName: entity.key });
    };
    const key = byName.get(entity.key);
    if (!key) fail(`the key "${entity.key}" is not a column of the schema (columns: ${names})`);
    if (keys.has(entity.key)) fail(`"${entity.key}" is listed twice`);
    keys.set(entity.key, entity);
    if (key!.exclude) fail(`the key "${entity.key}" is excluded; an entity's key must be written`);
    if (key!.kind !== 'identifier' || !key!.identifier || key!.identifier.handling !== 'regenerate') {
      fail(`the key "${entity.key}" must be an identifier column that is regenerated (set its "kind" to "identifier"), since synthetic keys are new values, never learned`);
    }
    for (const name of entity.constant) {
      const column = byName.get(name);
      if (!column) fail(`"${name}", listed as constant within ${entity.key}, is not a column of the schema`);
      if (name === entity.key) fail(`the key "${name}" cannot be listed among its own constant columns`);
    }
    if (entity.sequence !== undefined) {
      const column = byName.get(entity.sequence);
      if (!column) fail(`the sequence "${entity.sequence}" is not a column of the schema`);
      if (column!.kind !== 'date' && column!.kind !== 'datetime') fail(`the sequence "${entity.sequence}" is a ${column!.kind} column; it must be a date or date-time column`);
    }
  }
  for (const entity of entities) {
    if (entity.parent === undefined) continue;
    if (!keys.has(entity.parent)) {
      throw new InputError(`entities: the parent "${entity.parent}" of ${entity.key} is not an entity (list it under "entities" too)`, { file, columnName: entity.key });
    }
    // Follow the parents: coming back to this key is a cycle.
    const seen = new Set([entity.key]);
    for (let at = keys.get(entity.parent); at; at = at.parent === undefined ? undefined : keys.get(at.parent)) {
      if (seen.has(at.key)) throw new InputError(`entities: the parents form a cycle (${[...seen, at.key].join(' -> ')})`, { file, columnName: entity.key });
      seen.add(at.key);
    }
  }
}

/** One level of the chain, with its columns resolved. */
export interface EntityLevel {
  spec: EntitySpec;
  key: ColumnSchema;
  /** Modelled columns constant within the entity (its own list, not the parent's). */
  constant: ColumnSchema[];
  /** Identifier columns (other than keys) constant within the entity: one regenerated value per entity. */
  constantIdentifiers: ColumnSchema[];
  sequence?: ColumnSchema;
}

export interface EntityChain {
  levels: EntityLevel[];
  /** Entities listed but not kept (a second child of one parent, a second top entity), in words. */
  notes: string[];
}

/** The chain of entities the generator keeps: the longest parent-to-child path. */
export function entityChain(schema: Schema): EntityChain | undefined {
  const entities = schema.entities;
  if (!entities?.length) return undefined;
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const children = new Map<string | undefined, EntitySpec[]>();
  for (const e of entities) children.set(e.parent, [...(children.get(e.parent) ?? []), e]);
  const longest = (from: EntitySpec): EntitySpec[] => {
    const paths = (children.get(from.key) ?? []).map(longest);
    return [from, ...(paths.sort((a, b) => b.length - a.length)[0] ?? [])];
  };
  const roots = children.get(undefined) ?? [];
  const path = roots.map(longest).sort((a, b) => b.length - a.length)[0];
  if (!path) return undefined;
  const kept = new Set(path.map((e) => e.key));
  const left = entities.filter((e) => !kept.has(e.key)).map((e) => e.key);
  const keys = new Set(entities.map((e) => e.key));
  const levels = path.map((spec): EntityLevel => {
    const listed = spec.constant.map((n) => byName.get(n)!).filter((c) => c && !keys.has(c.name) && !c.exclude);
    const sequence = spec.sequence === undefined ? undefined : byName.get(spec.sequence);
    return {
      spec,
      key: byName.get(spec.key)!,
      constant: listed.filter(isModelled),
      constantIdentifiers: listed.filter((c) => c.kind === 'identifier' && c.identifier?.handling === 'regenerate'),
      ...(sequence && isModelled(sequence) ? { sequence } : {}),
    };
  });
  return {
    levels,
    notes: left.length
      ? [`Entities ${left.join(', ')} are not kept: the generator keeps one chain of nested entities (${path.map((e) => e.key).join(' > ')}); their keys are regenerated per row.`]
      : [],
  };
}

/** The entities in words, one line each, for summaries. */
export function describeEntities(schema: Schema): string[] {
  return (schema.entities ?? []).map((e) => {
    const head = `${e.key}${e.parent ? ` in ${e.parent}` : ''}`;
    const constant = e.constant.length ? `; constant: ${e.constant.join(', ')}` : '';
    const sequence = e.sequence ? `; ordered by ${e.sequence}` : '';
    return `${head} [${e.source}]${constant}${sequence}`;
  });
}

/** The schema with `key` as a declared entity, nested in `parent` (an entity) or at the top. */
export function withEntity(schema: Schema, key: string, parent?: string): Schema {
  const entities = schema.entities ?? [];
  const existing = entities.find((e) => e.key === key);
  const entity: EntitySpec = {
    key,
    ...(parent ? { parent } : {}),
    constant: existing?.constant ?? [],
    ...(existing?.sequence ? { sequence: existing.sequence } : {}),
    source: 'declared',
    why: existing?.why ?? 'declared by the user',
  };
  const next = { ...schema, entities: existing ? entities.map((e) => (e.key === key ? entity : e)) : [...entities, entity] };
  checkEntities(next, schema.source?.file ?? 'schema');
  return next;
}

/** The schema without the entity `key`; entities nested in it move up to its parent. */
export function withoutEntity(schema: Schema, key: string): Schema {
  const entities = schema.entities ?? [];
  const removed = entities.find((e) => e.key === key);
  if (!removed) return schema;
  return {
    ...schema,
    entities: entities
      .filter((e) => e.key !== key)
      .map((e) => {
        if (e.parent !== key) return e;
        const { parent: _parent, ...rest } = e;
        return removed.parent ? { ...rest, parent: removed.parent } : rest;
      }),
  };
}
