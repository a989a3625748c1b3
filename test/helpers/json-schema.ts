// JSON Schema validation for tests: ajv's draft 2020-12 validator (the exported files declare
// https://json-schema.org/draft/2020-12/schema) with the standard formats, strict mode on. Returns the failures as
// "<path>: <keyword>" lines, sorted, so a test can name exactly what a broken document gets wrong.

import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type JsonSchema = { [keyword: string]: unknown };

function failure(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const property = params.missingProperty ?? params.additionalProperty;
  const path = property === undefined ? error.instancePath : `${error.instancePath}/${property}`;
  return `${path || '/'}: ${error.keyword}`;
}

/** Compiles `schema` (once per schema object) and validates `value`: [] when it conforms. */
export function createJsonSchemaValidator(): (schema: JsonSchema, value: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // Our exporter's annotation: which data field must equal the envelope subject (the Kafka key).
  ajv.addKeyword({ keyword: 'x-subject-field', schemaType: 'string' });
  const compiled = new WeakMap<JsonSchema, ReturnType<typeof ajv.compile>>();
  return (schema, value) => {
    let validate = compiled.get(schema);
    if (validate === undefined) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate(value) ? [] : [...new Set((validate.errors ?? []).map(failure))].sort();
  };
}
