type Schema = Record<string, unknown>;

const FORMAT_SAMPLES: Record<string, string> = {
  email: 'offline@example.com',
  uri: 'https://example.com/offline',
  url: 'https://example.com/offline',
  'date-time': '1970-01-01T00:00:00.000Z',
  date: '1970-01-01',
  time: '00:00:00',
  uuid: '00000000-0000-4000-8000-000000000000',
};

const MAX_DEPTH = 8;

/**
 * A small, deterministic value that satisfies a JSON Schema (as produced by `z.toJSONSchema`):
 * first enum/const/union option, minimum numbers, shortest strings and arrays, all declared properties.
 * Patterns and cross-field refinements are not solved; the caller validates the result with zod.
 */
export function sampleFromJsonSchema(root: Schema): unknown {
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
    let target: unknown = root;
    for (const segment of ref.slice(2).split('/')) target = (target as Schema | undefined)?.[segment];
    return typeof target === 'object' && target !== null ? resolve(target as Schema) : {};
  };

  const sample = (input: Schema, path: string, depth: number): unknown => {
    const schema = resolve(input);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
    if ('default' in schema) return schema.default;
    for (const key of ['anyOf', 'oneOf'] as const) {
      const options = schema[key];
      if (Array.isArray(options) && options.length > 0) {
        const nonNull = (options as Schema[]).find((option) => resolve(option).type !== 'null') ?? (options[0] as Schema);
        return sample(nonNull, path, depth);
      }
    }
    if (Array.isArray(schema.allOf)) {
      return Object.assign({}, ...((schema.allOf as Schema[]).map((part) => sample(part, path, depth)) as object[]));
    }
    const type = Array.isArray(schema.type) ? ((schema.type as string[]).find((t) => t !== 'null') ?? 'null') : schema.type;
    switch (type) {
      case 'string':
        return sampleString(schema, path);
      case 'integer':
      case 'number':
        return sampleNumber(schema, type === 'integer');
      case 'boolean':
        return false;
      case 'null':
        return null;
      case 'array': {
        const count = typeof schema.minItems === 'number' ? schema.minItems : depth >= MAX_DEPTH ? 0 : 1;
        const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Schema[]) : [];
        const items = typeof schema.items === 'object' && schema.items !== null ? (schema.items as Schema) : {};
        return Array.from({ length: Math.max(count, prefix.length) }, (_, index) => sample(prefix[index] ?? items, `${path}[${index}]`, depth + 1));
      }
      case 'object':
      default: {
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
        const keys = depth >= MAX_DEPTH ? [...required] : Object.keys(properties);
        if (type === undefined && keys.length === 0) return `offline ${path}`;
        return Object.fromEntries(keys.map((key) => [key, sample(properties[key] ?? {}, path === '' ? key : `${path}.${key}`, depth + 1)]));
      }
    }
  };

  return sample(root, '', 0);
}

function sampleString(schema: Schema, path: string): string {
  const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
  let text = format ?? `offline ${path || 'value'}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  if (text.length < min) text = text.padEnd(min, '.');
  if (text.length > max) text = text.slice(0, max);
  return text;
}

function sampleNumber(schema: Schema, integer: boolean): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const exclusiveMin = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  let value = min ?? (exclusiveMin !== undefined ? exclusiveMin + (integer ? 1 : 0.5) : 0);
  if (max !== undefined && value > max) value = max;
  return integer ? Math.ceil(value) : value;
}
