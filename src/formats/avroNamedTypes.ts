import type { AvroSchemaJson } from './avroLogicalTypes.js';

// Avro's named types (record, enum, fixed) resolved by name, as avsc does when it parses a schema:
// the logical-type conversions and the Debezium Avro envelope both walk schemas and meet names.

/** Every named type (record, enum, fixed) by full name and by simple name. */
export function collectNamed(type: AvroSchemaJson, namespace: string | undefined, named: Map<string, Record<string, unknown>>): void {
  if (Array.isArray(type)) {
    for (const branch of type as AvroSchemaJson[]) collectNamed(branch, namespace, named);
    return;
  }
  if (typeof type !== 'object' || type === null) return;
  const object = type as Record<string, unknown>;
  let ns = namespace;
  if (typeof object['name'] === 'string' && ['record', 'error', 'enum', 'fixed'].includes(String(object['type']))) {
    const name = object['name'];
    ns = typeof object['namespace'] === 'string' ? object['namespace'] : (namespaceOf(name) ?? namespace);
    const full = name.includes('.') ? name : ns === undefined || ns === '' ? name : `${ns}.${name}`;
    named.set(full, object);
    if (!named.has(name)) named.set(name, object);
  }
  if (Array.isArray(object['fields'])) for (const f of object['fields'] as Array<Record<string, unknown>>) collectNamed(f['type'] as AvroSchemaJson, ns, named);
  if (typeof object['type'] === 'object') collectNamed(object['type'] as AvroSchemaJson, ns, named);
  if (object['items'] !== undefined) collectNamed(object['items'] as AvroSchemaJson, ns, named);
  if (object['values'] !== undefined) collectNamed(object['values'] as AvroSchemaJson, ns, named);
}

/** The namespace part of a full Avro name (`a.b.C` → `a.b`), if it has one. */
export function namespaceOf(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const dot = name.lastIndexOf('.');
  return dot === -1 ? undefined : name.slice(0, dot);
}
