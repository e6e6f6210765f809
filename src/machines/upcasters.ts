import type { JsonObject, JsonValue } from '../eventstore/index.js';
import { WORKFLOW_EVENT_TYPES, WorkflowEvent, type WorkflowEventType } from './events.js';

/**
 * Event payloads carry `v`; a payload without one is version 0 (written before payloads were
 * versioned). Old payloads are never rewritten in the store: they are upcast, one version at a
 * time, every time they are read — by the engine's rehydration, by the projections and by replay
 * alike, all through this one registry. Pure functions of the payload: the machines' side.
 */
export interface PayloadUpcaster {
  type: WorkflowEventType;
  /** The version this function reads; it returns the payload at `from + 1`. Must be pure. */
  from: number;
  upcast: (data: JsonObject) => JsonObject;
}

export type UpcastResult =
  { ok: true; data: JsonObject; fromVersion: number } | { ok: false; reason: 'newer_version' | 'no_upcaster' | 'not_an_object'; version: number };

export interface UpcasterRegistry {
  currentVersion(type: WorkflowEventType): number;
  upcast(type: WorkflowEventType, data: JsonValue): UpcastResult;
}

const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The payload version today's schema writes, read from the schema itself so it is never listed twice. */
const CURRENT_VERSIONS: ReadonlyMap<string, number> = new Map(
  WorkflowEvent.options.map((option) => [option.shape.type.value, option.shape.data.shape.v.unwrap().value as number]),
);

export const payloadVersionOf = (data: JsonObject): number => (typeof data.v === 'number' ? data.v : 0);

export function createUpcasterRegistry(upcasters: readonly PayloadUpcaster[]): UpcasterRegistry {
  const byKey = new Map<string, PayloadUpcaster['upcast']>();
  for (const upcaster of upcasters) {
    const key = `${upcaster.type}@${upcaster.from}`;
    if (byKey.has(key)) throw new Error(`Two upcasters read ${upcaster.type} v${upcaster.from}`);
    byKey.set(key, upcaster.upcast);
  }
  const currentVersion = (type: WorkflowEventType): number => CURRENT_VERSIONS.get(type) ?? 1;
  return {
    currentVersion,
    upcast(type, data) {
      if (!isObject(data)) return { ok: false, reason: 'not_an_object', version: 0 };
      const target = currentVersion(type);
      const fromVersion = payloadVersionOf(data);
      if (fromVersion > target) return { ok: false, reason: 'newer_version', version: fromVersion };
      let current = data;
      for (let version = fromVersion; version < target; version += 1) {
        const step = byKey.get(`${type}@${version}`);
        if (step === undefined) return { ok: false, reason: 'no_upcaster', version };
        current = { ...step(current), v: version + 1 };
      }
      return { ok: true, data: current, fromVersion };
    },
  };
}

/**
 * v0 `StepCompleted` (the prototype's shape) called the output `result` and kept accounting in
 * `usage: { model, tokensIn, tokensOut, costUsd, latencyMs, promptHash }`, with no `attempt`.
 * Fields already in today's shape are kept, so an unversioned payload of the current shape passes.
 */
const stepCompletedV0: PayloadUpcaster = {
  type: 'StepCompleted',
  from: 0,
  upcast: ({ result, usage, ...rest }) => {
    const next: JsonObject = { attempt: 1, ...rest };
    if (next.output === undefined) next.output = result ?? null;
    if (next.llm === undefined && isObject(usage)) {
      next.llm = {
        model: usage.model ?? 'unknown',
        inputTokens: usage.tokensIn ?? usage.inputTokens ?? 0,
        outputTokens: usage.tokensOut ?? usage.outputTokens ?? 0,
        costUsd: usage.costUsd ?? 0,
        latencyMs: usage.latencyMs ?? 0,
        attempts: usage.attempts ?? 1,
        promptHash: usage.promptHash ?? '',
      };
    }
    return next;
  },
};

/** v0 `RevisionRequested` had no `verdict`: a revision request could only mean `revise`. */
const revisionRequestedV0: PayloadUpcaster = {
  type: 'RevisionRequested',
  from: 0,
  upcast: (data) => ({ verdict: 'revise', ...data }),
};

const RESHAPED_AT_V0 = new Set<WorkflowEventType>([stepCompletedV0.type, revisionRequestedV0.type]);

/** Every other event kept its shape from v0 to v1: only the `v` is added. */
const unchangedAtV0: PayloadUpcaster[] = WORKFLOW_EVENT_TYPES.filter((type) => !RESHAPED_AT_V0.has(type)).map((type) => ({
  type,
  from: 0,
  upcast: (data) => data,
}));

export const DEFAULT_UPCASTERS: readonly PayloadUpcaster[] = [stepCompletedV0, revisionRequestedV0, ...unchangedAtV0];

let shared: UpcasterRegistry | undefined;
/** The registry of {@link DEFAULT_UPCASTERS}: what the engine, replay and the projections read with unless given another. */
export const defaultUpcasterRegistry = (): UpcasterRegistry => (shared ??= createUpcasterRegistry(DEFAULT_UPCASTERS));
