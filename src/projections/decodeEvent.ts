import { workflowIdOf, type RecordedEvent } from '../eventstore/index.js';
import { isWorkflowEventType, type UpcasterRegistry, type WorkflowEvent, type WorkflowEventMetadata } from '../machines/index.js';
import { STORED_METADATA, STORED_PAYLOADS } from './storedEventSchemas.js';

/** A recorded workflow event, upcast to today's payload version and validated. */
export interface DecodedEvent {
  workflowId: string;
  revision: number;
  position: bigint;
  event: WorkflowEvent;
  metadata: WorkflowEventMetadata;
  /** Payload version as stored, before upcasting. */
  storedVersion: number;
  recorded: RecordedEvent;
}

/** Why an event was skipped rather than applied: counted, never fatal. */
export type SkipReason = 'not_a_workflow_stream' | 'unknown_type' | 'newer_version' | 'no_upcaster' | 'invalid_payload' | 'invalid_metadata';

export type DecodeResult = { ok: true; decoded: DecodedEvent } | { ok: false; reason: SkipReason; detail: string };

/**
 * Upcasts and validates one recorded event. `trusted` skips the zod validation (not the upcast),
 * as the engine does when it rehydrates its own streams: the fold is then the only check, which is
 * what a plain replay wants; projections and `replay --verify` validate with zod's `safeParse`
 * (see `storedEventSchemas.ts`), which also fills defaults and strips unknown keys.
 */
export function decodeEvent(recorded: RecordedEvent, upcasters: UpcasterRegistry, { trusted = false } = {}): DecodeResult {
  const workflowId = workflowIdOf(recorded.stream);
  if (workflowId === undefined) return { ok: false, reason: 'not_a_workflow_stream', detail: recorded.stream };
  if (!isWorkflowEventType(recorded.type)) return { ok: false, reason: 'unknown_type', detail: recorded.type };
  const upcast = upcasters.upcast(recorded.type, recorded.data);
  if (!upcast.ok) {
    const reason = upcast.reason === 'newer_version' ? 'newer_version' : upcast.reason === 'no_upcaster' ? 'no_upcaster' : 'invalid_payload';
    return { ok: false, reason, detail: `${recorded.type} v${upcast.version}` };
  }
  if (trusted) {
    const metadata = recorded.metadata as unknown as WorkflowEventMetadata;
    const event = { type: recorded.type, data: upcast.data } as unknown as WorkflowEvent;
    return {
      ok: true,
      decoded: { workflowId, revision: recorded.revision, position: recorded.position, event, metadata, storedVersion: upcast.fromVersion, recorded },
    };
  }
  const data = STORED_PAYLOADS.get(recorded.type)!.safeParse(upcast.data);
  if (!data.success) return { ok: false, reason: 'invalid_payload', detail: `${recorded.type}: ${data.error.issues[0]?.message ?? 'invalid'}` };
  const metadata = STORED_METADATA.safeParse(recorded.metadata);
  if (!metadata.success) return { ok: false, reason: 'invalid_metadata', detail: `${recorded.type}: ${metadata.error.issues[0]?.message ?? 'invalid'}` };
  return {
    ok: true,
    decoded: {
      workflowId,
      revision: recorded.revision,
      position: recorded.position,
      event: { type: recorded.type, data: data.data } as WorkflowEvent,
      metadata: metadata.data,
      storedVersion: upcast.fromVersion,
      recorded,
    },
  };
}
