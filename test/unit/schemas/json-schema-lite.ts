/*
 * Just enough of JSON Schema 2020-12 to validate samples against the exported files without adding a validator
 * dependency: type, properties, required, additionalProperties, items, enum, const, pattern, length/number/item
 * bounds, anyOf. `format` is an annotation here (zod also emits a pattern for it). Returns the failing paths.
 */
type Schema = { [keyword: string]: unknown };

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validateJsonSchema(schema: Schema, value: unknown, path = ''): string[] {
  const errors: string[] = [];
  const at = (msg: string): void => {
    errors.push(`${path || '/'}: ${msg}`);
  };
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as Schema[]).some((s) => validateJsonSchema(s, value, path).length === 0);
    if (!ok) at('matches no anyOf branch');
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const actual = jsonType(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      at(`expected ${types.join('|')}, got ${actual}`);
      return errors;
    }
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) at('const mismatch');
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) at('not in enum');
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) at(`does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) at('too short');
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) at('too long');
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) at('below minimum');
    if (typeof schema.maximum === 'number' && value > schema.maximum) at('above maximum');
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) at('not above exclusiveMinimum');
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) at('not below exclusiveMaximum');
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) at('too few items');
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) at('too many items');
    if (typeof schema.items === 'object' && schema.items !== null) {
      value.forEach((item, i) => errors.push(...validateJsonSchema(schema.items as Schema, item, `${path}/${i}`)));
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in obj)) errors.push(`${path}/${key}: required`);
    for (const [key, v] of Object.entries(obj)) {
      if (key in props) errors.push(...validateJsonSchema(props[key], v, `${path}/${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}/${key}: additional property`);
      else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
        errors.push(...validateJsonSchema(schema.additionalProperties as Schema, v, `${path}/${key}`));
      }
    }
  }
  return errors;
}
