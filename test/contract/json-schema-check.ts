/**
 * A small JSON Schema checker for the subset /openapi.json uses (type, properties, required,
 * additionalProperties, items, prefixItems, enum, const, anyOf, oneOf, allOf, $ref into the
 * document, and the numeric and length bounds). It is stricter than JSON Schema in one way: a
 * property the schema does not list is reported as undocumented unless the schema says what extra
 * properties may hold, so an answer cannot grow fields the document does not name.
 */
export type Schema = boolean | { readonly [key: string]: unknown };

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

function typeOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: Json, type: unknown): boolean {
  const types = Array.isArray(type) ? (type as string[]) : [type as string];
  const actual = typeOf(value);
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/** Resolves `#/a/b` against the whole document. */
function resolve(document: unknown, ref: string): Schema {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  return node as Schema;
}

function checkBounds(value: Json, s: Record<string, unknown>, at: string, out: string[]): void {
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum)
      out.push(`${at}: ${value} < minimum ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum)
      out.push(`${at}: ${value} > maximum ${s.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength)
      out.push(`${at}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength)
      out.push(`${at}: longer than ${s.maxLength}`);
  }
}

function checkObject(
  document: unknown,
  value: Json,
  s: Record<string, unknown>,
  at: string,
  out: string[],
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const object = value as Record<string, Json>;
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  for (const name of (s.required ?? []) as string[]) {
    if (!(name in object)) out.push(`${at}.${name}: required, missing`);
  }
  for (const [name, v] of Object.entries(object)) {
    const property = properties[name];
    if (property !== undefined) check(document, v, property, `${at}.${name}`, out);
    else if (s.additionalProperties === false || s.additionalProperties === undefined) {
      out.push(`${at}.${name}: not in the document`);
    } else check(document, v, s.additionalProperties as Schema, `${at}.${name}`, out);
  }
}

function checkArray(
  document: unknown,
  value: Json,
  s: Record<string, unknown>,
  at: string,
  out: string[],
): void {
  if (!Array.isArray(value)) return;
  const prefix = (s.prefixItems ?? []) as Schema[];
  value.forEach((item: Json, i: number) => {
    const schema = prefix[i] ?? (s.items as Schema | undefined);
    if (schema !== undefined) check(document, item, schema, `${at}[${i}]`, out);
  });
}

/** Problems of `value` against `schema`, each naming where (`$.versions[0].kind: …`); empty when it fits. */
export function check(
  document: unknown,
  input: unknown,
  schema: Schema,
  at = '$',
  out: string[] = [],
): string[] {
  const value = input as Json;
  if (schema === true) return out;
  if (schema === false) {
    out.push(`${at}: nothing is allowed here`);
    return out;
  }
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return check(document, value, resolve(document, s.$ref), at, out);
  if (s.type !== undefined && !matchesType(value, s.type)) {
    out.push(`${at}: expected ${JSON.stringify(s.type)}, got ${typeOf(value)}`);
    return out;
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value))
    out.push(`${at}: must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    out.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  }
  for (const part of (s.allOf ?? []) as Schema[]) check(document, value, part, at, out);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key] as Schema[] | undefined;
    if (!options) continue;
    const fits = options.filter((o) => check(document, value, o, at, []).length === 0).length;
    if (fits === 0 || (key === 'oneOf' && fits > 1)) out.push(`${at}: fits ${fits} of the ${key} options`);
  }
  checkBounds(value, s, at, out);
  if (s.properties !== undefined || s.type === 'object') checkObject(document, value, s, at, out);
  if (s.items !== undefined || s.prefixItems !== undefined) checkArray(document, value, s, at, out);
  return out;
}
