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
 * what a plain replay wants; projections and `replay --verify` validate. Validation asks the
 * compiled acceptor first (see `storedEventSchemas.ts`) and zod only for what it does not accept,
 * so an event the engine wrote costs no zod parse, and anything else is judged by zod as before.
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
  const payload = STORED_PAYLOADS.get(recorded.type)!;
  let data = upcast.data as WorkflowEvent['data'];
  if (!payload.accepts(data)) {
    const parsed = payload.schema.safeParse(data);
    if (!parsed.success) return { ok: false, reason: 'invalid_payload', detail: `${recorded.type}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
    data = parsed.data;
  }
  let metadata = recorded.metadata as unknown as WorkflowEventMetadata;
  if (!STORED_METADATA.accepts(metadata)) {
    const parsed = STORED_METADATA.schema.safeParse(recorded.metadata);
    if (!parsed.success) return { ok: false, reason: 'invalid_metadata', detail: `${recorded.type}: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
    metadata = parsed.data;
  }
  return {
    ok: true,
    decoded: {
      workflowId,
      revision: recorded.revision,
      position: recorded.position,
      event: { type: recorded.type, data } as WorkflowEvent,
      metadata,
      storedVersion: upcast.fromVersion,
      recorded,
    },
  };
}
