/**
 * A small JSON Schema (draft-07) validator for the subset edgec's own schemas
 * use (boards/board.schema.json): type, enum, const, required, properties,
 * additionalProperties: false, items, minItems / maxItems, uniqueItems,
 * minimum / maximum, minLength / maxLength, pattern, allOf and if / then.
 * Each problem names the field by its path (`compiler.flags[2]`).
 */

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  enum?: unknown[];
  const?: unknown;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  allOf?: Schema[];
  if?: Schema;
  then?: Schema;
}

export interface SchemaProblem {
  /** Dotted path of the field; '' for the document itself. */
  path: string;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOk(type: NonNullable<Schema['type']>, v: unknown): boolean {
  switch (type) {
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'boolean': return typeof v === 'boolean';
  }
}

/** Keys come from the file: anything but a plain name is shown quoted and escaped (no raw newline reaches a message). */
const showKey = (key: string): string => (/^[A-Za-z0-9_$-]{1,64}$/.test(key) ? key : showValue(key));
const join = (path: string, key: string): string => (path === '' ? showKey(key) : `${path}.${showKey(key)}`);

/** A value for a message: JSON, shortened. */
export function showValue(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Every problem of `value` against `schema` (empty when it conforms). */
export function validateSchema(schema: Schema, value: unknown, path = ''): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const fail = (message: string, at = path): void => { problems.push({ path: at, message }); };
  if (schema.type && !typeOk(schema.type, value)) {
    fail(`must be ${schema.type === 'integer' || schema.type === 'array' || schema.type === 'object' ? 'an' : 'a'} ${schema.type} (got ${showValue(value)})`);
    return problems;
  }
  if (schema.const !== undefined && value !== schema.const) fail(`must be ${showValue(schema.const)} (got ${showValue(value)})`);
  if (schema.enum && !schema.enum.includes(value)) fail(`must be one of ${schema.enum.map(showValue).join(', ')} (got ${showValue(value)})`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`must be at least ${schema.minimum} (got ${value})`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`must be at most ${schema.maximum} (got ${value})`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) fail(`must have at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) fail(`must have at most ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) fail(`must match ${schema.pattern} (got ${showValue(value)})`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) fail(`must have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) fail('must not repeat items');
    if (schema.items) value.forEach((v, i) => problems.push(...validateSchema(schema.items!, v, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) if (!(key in value)) fail('is required', join(path, key));
    for (const [key, v] of Object.entries(value)) {
      const sub = schema.properties?.[key];
      if (sub) problems.push(...validateSchema(sub, v, join(path, key)));
      else if (schema.additionalProperties === false) fail('is not a known field', join(path, key));
    }
  }
  for (const sub of schema.allOf ?? []) problems.push(...validateSchema(sub, value, path));
  if (schema.if && schema.then && validateSchema(schema.if, value, path).length === 0) problems.push(...validateSchema(schema.then, value, path));
  return problems;
}
