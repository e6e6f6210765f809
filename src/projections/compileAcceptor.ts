import type { z } from 'zod';

/** True only when the schema would accept the value and return it unchanged (no default filled, no key stripped). */
export type Acceptor = (value: unknown) => boolean;

interface CheckDef {
  check?: string;
  format?: string;
  minimum?: number;
  value?: number;
  inclusive?: boolean;
}

interface Compilation {
  /** Named functions, one per object, array or record node: `function n3(v) { … }`. */
  functions: string[];
  /** Values the generated code calls (custom checks), passed in as `external[i]`. */
  external: unknown[];
}

class Unsupported extends Error {}

/** Scalar checks it knows, as a condition on `v`; any other check makes the schema unsupported. */
function checksOf(checks: readonly { _zod: { def: CheckDef } }[] | undefined): string {
  let condition = '';
  for (const {
    _zod: { def },
  } of checks ?? []) {
    if (def.check === 'min_length' && typeof def.minimum === 'number') condition += ` && v.length >= ${def.minimum}`;
    else if (def.check === 'number_format' && def.format === 'safeint') condition += ' && Number.isSafeInteger(v)';
    else if (def.check === 'greater_than' && typeof def.value === 'number') condition += ` && v ${def.inclusive === true ? '>=' : '>'} ${def.value}`;
    else throw new Unsupported();
  }
  return condition;
}

const literal = (value: unknown): string => {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && Number.isFinite(value)))
    return JSON.stringify(value);
  throw new Unsupported();
};

/** Source of a function accepting `v` for `schema`; returns its name. */
function compileNode(schema: z.core.$ZodType, out: Compilation): string {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown> & { checks?: { _zod: { def: CheckDef } }[] };
  const name = `n${out.functions.length}`;
  const emit = (body: string) => {
    out.functions[Number(name.slice(1))] = `function ${name}(v) { ${body} }`;
    return name;
  };
  out.functions.push('');
  const noChecks = () => {
    if (def.checks?.length) throw new Unsupported();
  };
  switch (def.type) {
    case 'string':
      return emit(`return typeof v === 'string'${checksOf(def.checks)};`);
    case 'number':
      return emit(`return typeof v === 'number' && Number.isFinite(v)${checksOf(def.checks)};`);
    case 'boolean':
      noChecks();
      return emit(`return typeof v === 'boolean';`);
    case 'literal':
      return emit(`return ${(def.values as unknown[]).map((value) => `v === ${literal(value)}`).join(' || ')};`);
    case 'enum':
      return emit(
        `return ${Object.values(def.entries as object)
          .map((value) => `v === ${literal(value)}`)
          .join(' || ')};`,
      );
    case 'optional':
      return emit(`return v === undefined || ${compileNode(def.innerType as z.core.$ZodType, out)}(v);`);
    case 'default':
      return emit(`return v !== undefined && ${compileNode(def.innerType as z.core.$ZodType, out)}(v);`);
    case 'custom':
      noChecks();
      out.external.push(def.fn);
      return emit(`return external[${out.external.length - 1}](v) === true;`);
    case 'array': {
      noChecks();
      const element = compileNode(def.element as z.core.$ZodType, out);
      return emit(`if (!Array.isArray(v)) return false; for (let i = 0; i < v.length; i++) if (!${element}(v[i])) return false; return true;`);
    }
    case 'record': {
      noChecks();
      const keyType = (def.keyType as z.core.$ZodType)._zod.def as { type: string; checks?: unknown[] };
      if (keyType.type !== 'string' || keyType.checks?.length) throw new Unsupported();
      const element = compileNode(def.valueType as z.core.$ZodType, out);
      return emit(
        `if (typeof v !== 'object' || v === null || Array.isArray(v)) return false; for (const k in v) if (!${element}(v[k])) return false; return true;`,
      );
    }
    case 'object': {
      noChecks();
      if (def.catchall !== undefined) throw new Unsupported();
      const fields = Object.entries(def.shape as Record<string, z.core.$ZodType>).map(
        ([key, field]) => [JSON.stringify(key), compileNode(field, out)] as const,
      );
      // A key outside the shape (zod would strip it), or one holding undefined, leaves the count short: zod decides.
      return emit(
        `if (typeof v !== 'object' || v === null || Array.isArray(v)) return false; let present = 0; let f;` +
          fields.map(([key, accepts]) => ` f = v[${key}]; if (!${accepts}(f)) return false; if (f !== undefined) present++;`).join('') +
          ' return Object.keys(v).length === present;',
      );
    }
    default:
      throw new Unsupported();
  }
}

/**
 * A fast yes for the schemas of recorded events: the schema compiled once into plain JavaScript
 * (as zod does for its own parse, which still copies every object and allocates a result). It only
 * ever says yes when zod would accept the value as it is, so a no just means "ask zod", which then
 * fills defaults, strips unknown keys or names the issue. `undefined`: a schema kind or check it
 * does not know; use zod alone.
 */
export function compileAcceptor(schema: z.core.$ZodType): Acceptor | undefined {
  const out: Compilation = { functions: [], external: [] };
  try {
    const root = compileNode(schema, out);
    // Generated from our own schemas only: keys and literals are embedded through JSON.stringify.
    return new Function('external', `${out.functions.join('\n')}\nreturn ${root};`)(out.external) as Acceptor;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
