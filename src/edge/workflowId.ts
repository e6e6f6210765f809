/**
 * The one rule for workflow ids and tenant names, used by every entry point: the engine's
 * `start`, the HTTP API and `ecl run --id`. A client's id carries no `:`; the tenant prefix
 * (`<tenant>:<id>`) is added only by the API's own scoping, from the caller's API key.
 */

/** What a client may call its workflow: 1-128 of `A-Z a-z 0-9 _ . -`, starting with a letter or digit. */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A tenant name: it becomes the id prefix, so it carries no `:` either. */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const WORKFLOW_ID_RULE = 'a workflow id is 1-128 letters, digits, _ . or -, starting with a letter or digit (no ":" or "/")';
export const TENANT_RULE = 'a tenant is 1-63 letters, digits, _ . or -, starting with a letter or digit';

export const TENANT_SEPARATOR = ':';

export const isWorkflowId = (id: string): boolean => WORKFLOW_ID_PATTERN.test(id);

/** The id as stored: `<tenant>:<id>` for a tenant, the id itself without one. */
export const scopedWorkflowId = (tenant: string | undefined, id: string): string => (tenant === undefined ? id : `${tenant}${TENANT_SEPARATOR}${id}`);

/**
 * Why `storedId` may not be started for `tenant`, or undefined when it may. An id is a client id;
 * only a start made for a tenant may carry that tenant's prefix, `<tenant>:<client id>`, which is
 * how the API stores its callers' workflows. So no entry point without a tenant (the CLI, an
 * engine without one) can write into a tenant's namespace.
 */
export function workflowIdProblem(storedId: string, tenant: string | undefined): string | undefined {
  if (isWorkflowId(storedId)) return undefined;
  if (tenant === undefined) return WORKFLOW_ID_RULE;
  if (!TENANT_PATTERN.test(tenant)) return TENANT_RULE;
  const prefix = `${tenant}${TENANT_SEPARATOR}`;
  return storedId.startsWith(prefix) && isWorkflowId(storedId.slice(prefix.length))
    ? undefined
    : `${WORKFLOW_ID_RULE}, with at most the prefix "${prefix}" of its own tenant`;
}
