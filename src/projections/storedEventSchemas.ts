import { z } from 'zod';
import { WorkflowEvent, WorkflowEventMetadata, type WorkflowEventType } from '../machines/index.js';
import { compileAcceptor, type Acceptor } from './compileAcceptor.js';

/**
 * A value the store handed back was parsed from JSON text, so it is JSON already: only its
 * presence needs checking. Walking it with `z.json()` (a recursive union) cost more than the rest
 * of the payload.
 */
const StoredJson = z.custom<z.core.util.JSONType>((value) => value !== undefined, { message: 'Required' });

/** `z.json()` is the only lazy schema among the event payloads. */
const isJsonSchema = (schema: z.core.$ZodType): boolean => schema._zod.def.type === 'lazy';
/** A payload field as read back: JSON fields (required or optional) checked for presence only. */
const storedField = (schema: z.core.$ZodType): z.core.$ZodType => {
  if (isJsonSchema(schema)) return StoredJson;
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType };
  if (def.type === 'optional' && def.innerType !== undefined && isJsonSchema(def.innerType)) return StoredJson.optional();
  return schema;
};

export interface StoredSchema<T> {
  schema: z.ZodType<T>;
  /** The fast yes (see `compileAcceptor`); zod decides whatever it does not accept. */
  accepts: Acceptor;
}

const stored = <T>(schema: z.ZodType<T>): StoredSchema<T> => ({ schema, accepts: compileAcceptor(schema) ?? (() => false) });

/**
 * Each event type's payload schema as read back from a store: today's schema (one source of
 * truth) with its JSON fields checked for presence only, keyed by type so no union is tried.
 */
export const STORED_PAYLOADS: ReadonlyMap<WorkflowEventType, StoredSchema<WorkflowEvent['data']>> = new Map(
  WorkflowEvent.options.map((option) => {
    const data = option.shape.data;
    const shape = Object.fromEntries(Object.entries(data.shape).map(([key, schema]) => [key, storedField(schema)]));
    return [option.shape.type.value, stored(data.extend(shape) as unknown as z.ZodType<WorkflowEvent['data']>)] as const;
  }),
);

export const STORED_METADATA: StoredSchema<WorkflowEventMetadata> = stored(WorkflowEventMetadata);
