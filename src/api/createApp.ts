import Fastify, { type FastifyInstance } from 'fastify';
import winston, { type Logger } from 'winston';
import { EclConfig } from '../config/index.js';
import { registerConsole } from '../console/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import { createAuthenticator, whyUnauthorized } from './auth.js';
import { isPreflight, registerCors } from './cors.js';
import { createStreamTokens, STREAM_ROUTES } from './streamTokens.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { createApiMetrics } from './apiMetrics.js';
import { createStreamHub } from './streamHub.js';
import type { ApiPorts } from './ports.js';
import { type RouteTable, trackRoutes } from './routeTable.js';
import { answerClientError } from './clientError.js';
import { capConnectionsPerClient } from './connectionCap.js';
import { registerJsonBodyParser } from './jsonBodyParser.js';
import { sendProblem, toApiError } from './problem.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerDefinitionRoutes } from './routes/definitions.js';
import { registerEventRoutes } from './routes/events.js';
import { registerQueryRoutes } from './routes/queries.js';
import { registerStreamRoutes } from './routes/streams.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { registerWorkerRoutes } from './routes/workers.js';

export interface CreateAppOptions extends ApiPorts {
  /** Validated configuration; defaults apply to whatever is left out. */
  config?: Partial<EclConfig>;
  logger?: Logger;
  /** The definitions themselves (machines, steps): the console's history and graph routes fold and draw with them. */
  definitions?: DefinitionRegistry;
}

export interface ApiApp {
  app: FastifyInstance;
  context: ApiContext;
  routes: RouteTable;
}

/**
 * The Fastify app for the v1 API over the given ports. It does not listen: call `listenApi`
 * (which refuses an open API on a non-loopback host) or use `app.inject` in tests.
 */
export function createApp(options: CreateAppOptions): ApiApp {
  const config = EclConfig.parse(options.config ?? {});
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const context: ApiContext = {
    runtime: options.runtime,
    queries: options.queries,
    store: options.store,
    ...(options.appendStats === undefined ? {} : { appendStats: options.appendStats }),
    config,
    logger,
    authenticator: createAuthenticator(config.apiKeys),
    metrics: createApiMetrics(),
    startedAt: Date.now(),
    accepting: true,
    streams: new Set(),
    hub: createStreamHub(options.store, options.runtime.deltas),
  };
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Slow clients: headers, then the whole request, must arrive in time (408), and a silent connection is closed.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    http: { headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: checkingIntervalOf(config) },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, logger),
    // Bad percent-encoding in the path is the client's mistake, answered like any other.
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, new ApiError('BAD_REQUEST', error.message.slice(0, 200)), logger),
  });

  // JSON only: anything else is a 415 rather than a string body that fails validation later.
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app, config.maxJsonDepth);
  capConnectionsPerClient(app.server, config.maxConnectionsPerClient, logger);
  const routes = trackRoutes(app);
  app.decorateRequest('principal', null);
  // CORS and stream tokens (browsers): preflights carry no credentials, and a `?token=` opens only the SSE routes.
  registerCors(app, config.corsOrigins);
  const streamTokens = createStreamTokens({ ttlMs: config.streamTokenTtlMs });
  // Callback-style hooks: they run on every request, and skip a promise each.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return done();
    if (config.corsOrigins.length > 0 && isPreflight(request.method, request.headers)) return done();
    const authorization = request.headers.authorization;
    const token = (request.query as { token?: unknown }).token;
    const streamRoute = STREAM_ROUTES.has(request.routeOptions.url ?? '');
    const principal =
      context.authenticator.required && authorization === undefined && typeof token === 'string' && streamRoute
        ? streamTokens.verify(token)
        : context.authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined);
    if (principal === undefined) return done(new ApiError('UNAUTHORIZED', whyUnauthorized(authorization, token, streamRoute)));
    request.principal = principal;
    done();
  });
  const logRequests = logger.isLevelEnabled('http');
  app.addHook('onResponse', (request, reply, done) => {
    context.metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    if (logRequests) {
      logger.http('request', {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        key: request.principal?.keyId,
      });
    }
    done();
  });
  app.setErrorHandler((error, request, reply) => sendProblem(reply, request, toApiError(error, config.bodyLimitBytes), logger));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = routes.allowed(path);
    if (allowed.length === 0) return sendProblem(reply, request, new ApiError('ROUTE_NOT_FOUND', `No route ${request.method} ${path.slice(0, 200)}`), logger);
    void reply.header('Allow', allowed.join(', '));
    return sendProblem(
      reply,
      request,
      new ApiError('METHOD_NOT_ALLOWED', `${path.slice(0, 200)} accepts ${allowed.join(', ')}, not ${request.method}`),
      logger,
    );
  });
  app.addHook('preClose', async () => {
    context.accepting = false;
    for (const stream of context.streams) stream.close();
  });
  app.addHook('onClose', async () => context.hub.close());

  registerSystemRoutes(app, context);
  registerDefinitionRoutes(app, context);
  registerWorkflowRoutes(app, context);
  registerEventRoutes(app, context);
  registerQueryRoutes(app, context);
  registerWorkerRoutes(app, context);
  registerStreamRoutes(app, context, streamTokens);
  registerConsoleRoutes(app, context, options.definitions);
  registerConsole(app);
  return { app, context, routes };
}

/**
 * How often Node looks for requests past `headersTimeoutMs`/`requestTimeoutMs` (its default, 30 s,
 * would let a request run that much over): a quarter of the shorter limit, from 50 ms to 30 s.
 */
const checkingIntervalOf = (config: EclConfig): number =>
  Math.min(30_000, Math.max(50, Math.floor(Math.min(config.headersTimeoutMs, config.requestTimeoutMs) / 4)));
