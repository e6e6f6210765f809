import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a browser script may read from an answer besides the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['Location', 'Retry-After', 'WWW-Authenticate', 'Allow'];

/**
 * CORS for the listed origins, off when there are none. Origins are matched exactly (never `*`):
 * a page may send `Authorization`, so an allowed origin is one the operator named. Preflights
 * are answered before authentication (a browser never sends credentials on them).
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  void app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Idempotency-Key'],
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method; it carries no credentials by design. */
export const isPreflight = (method: string, headers: Record<string, unknown>): boolean =>
  method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
