import type { FastifyRequest } from 'fastify';
import type { Logger } from 'winston';
import type { EclConfig } from '../config/index.js';
import type { Authenticator, Principal } from './auth.js';
import { ApiError } from './errors.js';
import type { ApiMetrics } from './apiMetrics.js';
import type { ApiPorts } from './ports.js';
import type { SseConnection } from './sse.js';
import type { StreamHub } from './streamHub.js';
import { scopeOf, type TenantScope } from './tenancy.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Everything a route needs, built once by `createApi`. */
export interface ApiContext extends ApiPorts {
  config: EclConfig;
  logger: Logger;
  authenticator: Authenticator;
  metrics: ApiMetrics;
  readonly startedAt: number;
  /** False once shutdown began: commands are refused with 503, reads still answer. */
  accepting: boolean;
  readonly streams: Set<SseConnection>;
  /** Shared store subscriptions and delta routing for SSE followers. */
  readonly hub: StreamHub;
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new ApiError('UNAUTHORIZED', 'Send Authorization: Bearer <API key>');
  return request.principal;
}

export const scopeFor = (request: FastifyRequest): TenantScope => scopeOf(principalOf(request));

/**
 * A read sees everything committed before it arrived — the caller's own acknowledged writes and,
 * say, the end of a workflow it just watched over SSE: it waits until the read models reach the
 * log's head as of now. A slow projection is logged, not fatal.
 */
export async function readYourWrites(ctx: ApiContext): Promise<void> {
  const position = await ctx.queries.head();
  if (position === null) return;
  try {
    await ctx.queries.waitFor(position, ctx.config.readYourWritesTimeoutMs);
  } catch (error) {
    ctx.logger.warn('read served before the projection reached the log head', { position: position.toString(), error: (error as Error).message });
  }
}

export function assertAccepting(ctx: ApiContext): void {
  if (!ctx.accepting) throw new ApiError('SHUTTING_DOWN', 'The server is shutting down; retry against another instance or later');
}
