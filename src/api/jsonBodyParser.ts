import type { FastifyInstance } from 'fastify';
import { checkJsonText, formatJsonPath } from '../edge/index.js';
import { ApiError } from './errors.js';

/**
 * `application/json` bodies: checked for nesting depth, duplicate keys and prototype keys
 * (`__proto__`, `constructor.prototype`, named with their path) before Fastify's own parser turns
 * them into values.
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
        : problem.kind === 'duplicate_key'
          ? new ApiError('INVALID_BODY', 'The request body repeats a key in one object', { errors: [{ path, message: 'duplicate key' }] })
          : new ApiError('INVALID_BODY', 'The request body holds a key that would reach an object prototype', {
              errors: [{ path, message: 'forbidden key (__proto__, constructor.prototype)' }],
            });
    done(error, undefined);
  });
}
