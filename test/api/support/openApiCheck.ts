import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Document = { paths: Record<string, Record<string, { responses: Record<string, Response> }>> };
type Response = { content?: Record<string, { schema?: unknown }> };

/**
 * Checks responses against the OpenAPI document the server serves (ajv, JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1): the route, the status and the content type must be documented, and a
 * JSON body must match its schema. Throws with what did not match.
 */
export function createResponseChecker(document: unknown): (method: string, url: string, status: number, contentType: string | null, body: unknown) => void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document as object, 'openapi.json');
  const doc = document as Document;
  const templates = Object.keys(doc.paths).map((template) => ({ template, segments: template.split('/') }));
  const validators = new Map<string, ValidateFunction>();

  return (method, url, status, contentType, body) => {
    const path = (url.split('?')[0] ?? '').replace(/(.)\/$/, '$1').split('/');
    const route = templates.find(
      ({ segments }) => segments.length === path.length && segments.every((segment, index) => segment.startsWith('{') || segment === path[index]),
    );
    if (route === undefined) throw new Error(`${method} ${url}: no documented path`);
    const operation = doc.paths[route.template]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`${method} ${route.template}: method not documented`);
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (response === undefined) throw new Error(`${method} ${route.template}: status ${status} not documented`);
    if (response.content === undefined) {
      if (body !== undefined && body !== '') throw new Error(`${method} ${route.template} ${status}: a body where none is documented`);
      return;
    }
    const media = (contentType ?? '').split(';')[0]?.trim() ?? '';
    if (!(media in response.content)) throw new Error(`${method} ${route.template} ${status}: content type ${media} not documented`);
    if (!media.endsWith('json')) return;
    const pointer = ['paths', route.template, method.toLowerCase(), 'responses', String(status), 'content', media, 'schema']
      .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    let validate = validators.get(pointer);
    if (validate === undefined) {
      validate = ajv.getSchema(`openapi.json#/${pointer}`);
      if (validate === undefined) throw new Error(`no schema at ${pointer}`);
      validators.set(pointer, validate);
    }
    if (!validate(body)) throw new Error(`${method} ${url} ${status}: the body does not match its documented schema: ${ajv.errorsText(validate.errors)}`);
  };
}
