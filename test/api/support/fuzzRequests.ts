import fc from 'fast-check';

/** Every route of the API, with `{id}` where a workflow id goes. */
export const ROUTES = [
  '/v1/workflows',
  '/v1/workflows/{id}',
  '/v1/workflows/{id}/events',
  '/v1/workflows/{id}/audit',
  '/v1/workflows/{id}/stream',
  '/v1/stream',
  '/v1/definitions',
  '/v1/metrics/summary',
  '/healthz',
  '/metrics',
  '/openapi.json',
] as const;

/** Stands for a body just over 1 MiB, so a failing case prints short; see `wireBody`. */
export const BIG_BODY = '<<over 1 MiB>>';
export const wireBody = (body: string | undefined): string | undefined =>
  body === BIG_BODY ? JSON.stringify({ definition: 'brief', input: { text: 'x'.repeat(1024 * 1024) } }) : body;

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

// Node's HTTP client refuses control characters in header values; the server never sees them anyway.
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]/g, '');

export function fuzzRequest(options: { ids: readonly string[]; validKeys: readonly string[]; commandTypes: readonly string[]; definitions: readonly string[] }): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    fc.constantFrom(...options.ids),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.constantFrom('acme:w1', 'globex%3Aw1', '..', '%2e%2e', '%00', 'a'.repeat(300), '-x', '%E0%A4%A', 'w1%2Fevents', '%20'),
  );
  const query = fc.option(
    fc
      .dictionary(fc.constantFrom('status', 'definition', 'limit', 'cursor', 'lastEventId', 'x', '__proto__'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)), { maxKeys: 3 })
      .map((entries) => `?${new URLSearchParams(entries).toString()}`),
    { nil: '' },
  );
  const path = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), id, query).map(([route, value, q]) => route.replace('{id}', value) + q) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => `/${encodeURI(text)}`) },
  );
  const authorization = fc.oneof(
    fc.constantFrom(...options.validKeys.map((key) => `Bearer ${key}`)),
    fc.constant(undefined),
    fc.string({ maxLength: 40 }).map((text) => headerSafe(`Bearer ${text}`)),
    fc.string({ maxLength: 40 }).map(headerSafe),
  );
  const contentType = fc.oneof(
    fc.constant('application/json'),
    fc.constant(undefined),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/problem+json'),
    fc.string({ maxLength: 30 }).map(headerSafe),
  );
  const lastEventId = fc.option(fc.oneof(fc.integer({ min: -5, max: 50 }).map(String), fc.string({ maxLength: 25 }).map(headerSafe), fc.constant('99999999999999999999999')), { nil: undefined });
  const json = fc.jsonValue({ maxDepth: 3 });
  const body = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: json.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
    {
      weight: 4,
      arbitrary: fc
        .record({ definition: fc.oneof(fc.constantFrom(...options.definitions), fc.string()), input: json, id: fc.option(id, { nil: undefined }) }, { requiredKeys: [] })
        .map((value) => JSON.stringify(value)),
    },
    {
      weight: 4,
      arbitrary: fc
        .record({ type: fc.oneof(fc.constantFrom(...options.commandTypes), fc.string({ maxLength: 20 })), data: json }, { requiredKeys: ['type'] })
        .map((value) => JSON.stringify(value)),
    },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '[]', 'null', '{"type":"CANCEL"', '\u0000') },
    { weight: 1, arbitrary: fc.constant(BIG_BODY) },
  );
  // Well-formed requests with a valid key and random content, so accepted writes are fuzzed as well.
  const wellFormed = fc.tuple(
    fc.constantFrom(...options.validKeys),
    fc.oneof(
      fc.record({
        path: fc.constantFrom(...options.ids).map((value) => `/v1/workflows/${value}/events`),
        body: fc.record({
          type: fc.constantFrom(...options.commandTypes),
          data: fc.oneof(fc.constant({}), fc.record({ feedback: fc.string({ maxLength: 20 }) }), fc.record({ reason: fc.string({ maxLength: 20 }) }), json),
        }, { requiredKeys: ['type'] }),
      }),
      fc.record({
        path: fc.constant('/v1/workflows'),
        body: fc.record({ definition: fc.constantFrom(...options.definitions), input: fc.oneof(fc.constant({}), json), id: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/), { nil: undefined }) }, { requiredKeys: ['definition', 'input'] }),
      }),
    ),
  ).map(([key, { path: p, body: b }]): FuzzRequest => ({ method: 'POST', path: p, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(b) }));

  const random = fc
    .record({ method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'), path, authorization, contentType, lastEventId, body })
    .map(({ method, path: p, authorization: a, contentType: c, lastEventId: l, body: b }) => {
      const headers: Record<string, string> = {};
      if (a !== undefined) headers.authorization = a;
      if (c !== undefined && b !== undefined && method !== 'HEAD') headers['content-type'] = c;
      if (l !== undefined) headers['last-event-id'] = l;
      // A HEAD answer has no body, so a HEAD request's body would be read as the next request: not a server concern.
      return { method, path: p, headers, ...(b === undefined || method === 'HEAD' ? {} : { body: b }) };
    });
  return fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 7, arbitrary: random });
}
