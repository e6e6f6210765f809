import { z } from 'zod';
import { WorkflowEvent, WorkflowEventMetadata, type WorkflowEventType } from '../machines/index.js';

/**
 * A value the store handed back was parsed from JSON text, so it is JSON already: only its
 * presence needs checking. Walking it with `z.json()` (a recursive union) cost more than the rest
 * of the payload.
 */
const StoredJson = z.custom<z.core.util.JSONType>((value) => value !== undefined, { message: 'Required' });

/** `z.json()` is the only lazy schema among the event payloads. */
const isJsonSchema = (schema: z.ZodType): boolean => schema instanceof z.ZodLazy;
/** A payload field as read back: JSON fields (required or optional) checked for presence only. */
const storedField = (schema: z.ZodType): z.ZodType => {
  if (isJsonSchema(schema)) return StoredJson;
  if (schema instanceof z.ZodOptional && isJsonSchema(schema.unwrap() as z.ZodType)) return StoredJson.optional();
  return schema;
};

/**
 * Each event type's payload schema as read back from a store: today's schema (one source of
 * truth) with its JSON fields checked for presence only, keyed by type so no union is tried.
 */
export const STORED_PAYLOADS: ReadonlyMap<WorkflowEventType, z.ZodType<WorkflowEvent['data']>> = new Map(
  WorkflowEvent.options.map((option) => {
    const data = option.shape.data;
    const shape = Object.fromEntries(Object.entries(data.shape).map(([key, schema]) => [key, storedField(schema as z.ZodType)]));
    return [option.shape.type.value, data.extend(shape) as unknown as z.ZodType<WorkflowEvent['data']>] as const;
  }),
);

export const STORED_METADATA: z.ZodType<WorkflowEventMetadata> = WorkflowEventMetadata;
