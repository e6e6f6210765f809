import { WORKFLOW_ID_RULE, isWorkflowId, scopedWorkflowId } from '../edge/index.js';
import type { Principal } from './auth.js';
import { ApiError } from './errors.js';

/**
 * Workflow ids are namespaced per tenant: a client's `invoice-42` is `acme:invoice-42` in the
 * store. In open mode (no tenant) ids are used as given, so workflows started by the in-process
 * CLI are the same workflows the API shows.
 */
export interface TenantScope {
  readonly tenant: string | undefined;
  /** The store id for a client id; an id that could not have been created is an INVALID_ID. */
  internal(id: string): string;
  /** The client's id for a store id, or undefined when the id belongs to someone else. */
  external(internalId: string): string | undefined;
  owns(internalId: string): boolean;
}

const scopes = new WeakMap<Principal, TenantScope>();

/** The scope of a principal; built once per principal (they live as long as their key). */
export function scopeOf(principal: Principal): TenantScope {
  let scope = scopes.get(principal);
  if (scope === undefined) scopes.set(principal, (scope = createScope(principal)));
  return scope;
}

function createScope(principal: Principal): TenantScope {
  const prefix = principal.tenant === undefined ? undefined : `${principal.tenant}:`;
  const owns = (internalId: string): boolean =>
    prefix === undefined ? !internalId.includes(':') : internalId.startsWith(prefix) && !internalId.slice(prefix.length).includes(':');
  return {
    tenant: principal.tenant,
    internal(id) {
      if (!isWorkflowId(id)) throw new ApiError('INVALID_ID', `Bad workflow id: ${WORKFLOW_ID_RULE}`, { id: id.slice(0, 200) });
      return scopedWorkflowId(principal.tenant, id);
    },
    external: (internalId) => (owns(internalId) ? (prefix === undefined ? internalId : internalId.slice(prefix.length)) : undefined),
    owns,
  };
}

/** The fields of a read model that hold a workflow id. */
const WORKFLOW_ID_KEYS: ReadonlySet<string> = new Set(['workflowId', 'parentId', 'waitingOnChildren']);

/** Replaces every workflow id field (`workflowId`, `parentId`, each of `waitingOnChildren`) of a read model with the client's id (tenant prefix removed). */
export function externalize<T>(value: T, scope: TenantScope): T {
  if (scope.tenant === undefined) return value;
  const walk = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item !== 'object' || item === null) return item;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(item)) out[key] = WORKFLOW_ID_KEYS.has(key) ? externalId(field, scope) : walk(field);
    return out;
  };
  return walk(value) as T;
}

const externalId = (field: unknown, scope: TenantScope): unknown =>
  typeof field === 'string' ? (scope.external(field) ?? field) : Array.isArray(field) ? field.map((item) => externalId(item, scope)) : field;
