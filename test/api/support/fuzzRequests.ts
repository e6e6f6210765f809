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

export function fuzzRequest(options: {
  ids: readonly string[];
  validKeys: readonly string[];
  commandTypes: readonly string[];
  definitions: readonly string[];
}): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    fc.constantFrom(...options.ids),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
    fc.constantFrom(
      'acme:w1',
      'globex%3Aw1',
      '..',
      '%2e%2e',
      '%00',
      'a'.repeat(300),
      '-x',
      '%E0%A4%A',
      'w1%2Fevents',
      '%20',
      'bad%2Fid',
      '..%2Fup',
      'acme%3Aplanted',
      '%F0%9F%98%80',
      'w%CC%81',
    ),
  );
  // Values a client might mistype or forge for each query parameter, besides random text.
  const queryValue = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.integer().map(String),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    fc.constantFrom(
      '1e2',
      '0x10',
      '+5',
      '5.0',
      ' 5',
      '-1',
      '0',
      '01',
      '10001',
      'garbage',
      Buffer.from('{"position":3}').toString('base64'),
      'x'.repeat(600),
      '18446744073709551616',
      '',
    ),
  );
  const query = fc.option(
    fc.oneof(
      fc
        .dictionary(fc.constantFrom('status', 'definition', 'limit', 'cursor', 'lastEventId', 'x', '__proto__'), queryValue, { maxKeys: 3 })
        .map((entries) => `?${new URLSearchParams(entries).toString()}`),
      // Raw, possibly badly encoded or repeated parameters.
      fc.constantFrom(
        '?cursor=%FF',
        '?limit=1&limit=2',
        '?lastEventId=%2B1',
        '?cursor',
        '?limit=%00',
        '?status[]=x',
        '?lastEventId=1&lastEventId=2',
        '?a=%E0%A4%A',
      ),
    ),
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
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
      'application/problem+json',
    ),
    fc.string({ maxLength: 30 }).map(headerSafe),
  );
  const lastEventId = fc.option(
    fc.oneof(
      fc.integer({ min: -5, max: 50 }).map(String),
      fc.string({ maxLength: 25 }).map(headerSafe),
      fc.constantFrom('99999999999999999999999', '18446744073709551615', '18446744073709551616', '+1', '1e9', '01', '0x1', '', '-0'),
    ),
    { nil: undefined },
  );
  const json = fc.oneof({ weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }) });
  const body = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: json.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
    {
      weight: 4,
      arbitrary: fc
        .record(
          { definition: fc.oneof(fc.constantFrom(...options.definitions), fc.string()), input: json, id: fc.option(id, { nil: undefined }) },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    },
    {
      weight: 4,
      arbitrary: fc
        .record({ type: fc.oneof(fc.constantFrom(...options.commandTypes), fc.string({ maxLength: 20 })), data: json }, { requiredKeys: ['type'] })
        .map((value) => JSON.stringify(value)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '[]', 'null', '{"type":"CANCEL"', '\u0000'),
    },
    { weight: 1, arbitrary: fc.constant(BIG_BODY) },
    { weight: 3, arbitrary: nestedBody(options) },
    { weight: 2, arbitrary: duplicateKeyBody(options) },
  );
  // Well-formed requests with a valid key and random content, so accepted writes are fuzzed as well.
  const wellFormed = fc
    .tuple(
      fc.constantFrom(...options.validKeys),
      fc.oneof(
        fc.record({
          path: fc.constantFrom(...options.ids).map((value) => `/v1/workflows/${value}/events`),
          body: fc.record(
            {
              type: fc.constantFrom(...options.commandTypes),
              data: fc.oneof(fc.constant({}), fc.record({ feedback: fc.string({ maxLength: 20 }) }), fc.record({ reason: fc.string({ maxLength: 20 }) }), json),
            },
            { requiredKeys: ['type'] },
          ),
        }),
        fc.record({
          path: fc.constant('/v1/workflows'),
          body: fc.record(
            {
              definition: fc.constantFrom(...options.definitions),
              input: fc.oneof(fc.constant({}), json),
              id: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/), { nil: undefined }),
            },
            { requiredKeys: ['definition', 'input'] },
          ),
        }),
      ),
    )
    .map(([key, { path: p, body: b }]): FuzzRequest => ({
      method: 'POST',
      path: p,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(b),
    }));

  const random = fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      path,
      authorization,
      contentType,
      lastEventId,
      body,
    })
    .map(({ method, path: p, authorization: a, contentType: c, lastEventId: l, body: b }) => {
      const headers: Record<string, string> = {};
      if (a !== undefined) headers.authorization = a;
      if (c !== undefined && b !== undefined && method !== 'HEAD') headers['content-type'] = c;
      if (l !== undefined) headers['last-event-id'] = l;
      // A HEAD answer has no body, so a HEAD request's body would be read as the next request: not a server concern.
      return { method, path: p, headers, ...(b === undefined || method === 'HEAD' ? {} : { body: b }) };
    });
  // Headers nobody expects, with any name and a value Node lets through.
  const extraHeaders = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 60 }).map(headerSafe), { maxKeys: 3 });
  const withHeaders = fc.tuple(random, extraHeaders).map(([request, extra]): FuzzRequest => {
    const headers = { ...request.headers };
    for (const [name, value] of Object.entries(extra))
      if (!['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade'].includes(name)) headers[name] = value;
    return { ...request, headers };
  });
  return fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 6, arbitrary: random }, { weight: 1, arbitrary: withHeaders });
}

/** A start or a command whose input, data or an extra field nests arrays and objects 1 to 6,000 levels deep. */
function nestedBody(options: { definitions: readonly string[]; commandTypes: readonly string[] }): fc.Arbitrary<string> {
  return fc
    .record({
      depth: fc.oneof(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 60, max: 70 }), fc.integer({ min: 1, max: 6_000 })),
      open: fc.constantFrom('[', '{"a":', '[{"b":'),
      where: fc.constantFrom('input', 'data', 'extra'),
      definition: fc.constantFrom(...options.definitions),
      type: fc.constantFrom(...options.commandTypes),
    })
    .map(({ depth, open, where, definition, type }) => {
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
      const value = open.repeat(depth) + '1' + close.repeat(depth);
      if (where === 'data') return `{"type":${JSON.stringify(type)},"data":${value}}`;
      if (where === 'input') return `{"definition":${JSON.stringify(definition)},"input":${value}}`;
      return `{"definition":${JSON.stringify(definition)},"input":{},"extra":${value}}`;
    });
}

/** A start or a command with a key repeated in one object (raw, escaped, or deep inside). */
function duplicateKeyBody(options: { definitions: readonly string[]; commandTypes: readonly string[] }): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...options.commandTypes).map((type) => `{"type":"APPROVE","type":${JSON.stringify(type)}}`),
    fc.constantFrom(...options.definitions).map((definition) => `{"definition":${JSON.stringify(definition)},"input":{},"input":{"x":1}}`),
    fc.constantFrom(...options.definitions).map((definition) => `{"definition":${JSON.stringify(definition)},"input":{"a":{"k":1,"\\u006b":2}}}`),
    fc.string({ maxLength: 8 }).map((key) => `{"type":"REQUEST_REVISION","data":{${JSON.stringify(key)}:1,${JSON.stringify(key)}:2}}`),
  );
}
