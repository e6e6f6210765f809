import type { FastifyInstance } from 'fastify';
import { checkJsonText, formatJsonPath } from '../edge/index.js';
import { ApiError } from './errors.js';

/**
 * `application/json` bodies: checked for nesting depth and duplicate keys before Fastify's own
 * parser (which keeps refusing `__proto__` and `constructor.prototype`) turns them into values.
 * The body is an envelope (`{ "input": … }`, `{ "data": … }`), so the depth limit applies to its
 * members exactly as it does to a CLI `--input`.
 */
export function registerJsonBodyParser(app: FastifyInstance, maxDepth: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const problem = checkJsonText(text, { maxDepth, envelope: true });
    if (problem === undefined) return parseJson(request, text, done);
    const path = formatJsonPath(problem.path);
    const error =
      problem.kind === 'too_deep'
        ? new ApiError('INVALID_BODY', `The request body nests arrays and objects more than ${maxDepth} levels deep`, {
            errors: [{ path, message: `more than ${maxDepth} levels of arrays and objects` }],
          })
        : new ApiError('INVALID_BODY', 'The request body repeats a key in one object', { errors: [{ path, message: 'duplicate key' }] });
    done(error, undefined);
  });
}
