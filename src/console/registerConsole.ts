import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One built file of the console, held in memory with its gzip form (the whole console is a few dozen KB). */
interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

export interface ConsoleAssets {
  /** Where the files were found, or undefined when the console was not built. */
  dir: string | undefined;
  files: ReadonlyMap<string, Asset>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Everything the page may load comes from this server: no CDN, font or script from elsewhere. The
 * key lives in sessionStorage and goes out in `Authorization`; streams use `?token=` stream tokens.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const NOT_BUILT =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ECL console</title></head><body><main><h1>ECL console</h1>' +
  "<p>The console's files are not built. Run <code>npm run build</code> in the ECL package and restart <code>ecl serve</code>.</p></main></body></html>";

/**
 * The built console: `assets/` beside this module (the package's `dist/console/assets`), or, when
 * ECL runs from its sources (tests, `tsx`), the repository's `dist/console/assets`.
 */
export function findConsoleAssets(dirs: readonly string[] = defaultDirs()): ConsoleAssets {
  const dir = dirs.find((candidate) => existsSync(join(candidate, 'index.html')));
  const files = new Map<string, Asset>();
  if (dir === undefined) return { dir, files };
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    files.set(name, { body, gzip: gzipSync(body, { level: 9 }), type, etag: `"${body.length.toString(36)}-${hash(body)}"` });
  }
  return { dir, files };
}

function defaultDirs(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [join(here, 'assets'), join(here, '..', '..', 'dist', 'console', 'assets')];
}

/** A cheap content tag for ETag (FNV-1a): the files change only with a new build. */
function hash(body: Buffer): string {
  let value = 0x811c9dc5;
  for (const byte of body) value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  return value.toString(36);
}

/**
 * Serves the web console at `/console/` (and sends `/` there). Its routes need no key: the files
 * hold no data; the page asks for a key and every read goes through the authenticated `/v1` API.
 */
export function registerConsole(app: FastifyInstance, assets: ConsoleAssets = findConsoleAssets()): void {
  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    void reply
      .headers(SECURITY_HEADERS)
      .header('Content-Type', asset.type)
      .header('ETag', asset.etag)
      .header('Cache-Control', 'no-cache')
      .header('Vary', 'Accept-Encoding');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    const accepts = request.headers['accept-encoding'];
    if (typeof accepts === 'string' && /\bgzip\b/.test(accepts)) return reply.header('Content-Encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  };
  app.get('/', async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console', async (request, reply) => {
    const index = assets.files.get('index.html');
    if (index === undefined) return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT);
    return send(request, reply, index);
  });
  app.get('/console/:asset', async (request, reply) => {
    const name = (request.params as { asset: string }).asset;
    const asset = assets.files.get(name);
    if (asset === undefined) {
      // The API's problem shape, written here: the console does not reach into the API's internals.
      const detail = `No console file ${name.slice(0, 100)}`;
      const problem = {
        type: 'urn:ecl:problem:route-not-found',
        title: 'Route not found',
        status: 404,
        code: 'ROUTE_NOT_FOUND',
        detail,
        instance: request.url.slice(0, 200),
      };
      return reply.code(404).headers(SECURITY_HEADERS).type('application/problem+json').send(JSON.stringify(problem));
    }
    return send(request, reply, asset);
  });
}
