import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, createRedactor } from '../../src/logging/index.js';

const capture = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), { isTTY });
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { stream, lines };
};
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createLogger', () => {
  it('writes JSON when the output is not a terminal, with workflow fields', async () => {
    const { stream, lines } = capture(false);
    const logger = createLogger({ stream, env: {} });
    logger.child({ workflowId: 'wf-1' }).info('step done', { step: 'draft', revision: 4 });
    await flush();
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', message: 'step done', workflowId: 'wf-1', step: 'draft', revision: 4 });
  });

  it('writes JSON in production even on a terminal', async () => {
    const { stream, lines } = capture(true);
    createLogger({ stream, env: { NODE_ENV: 'production' } }).info('hello');
    await flush();
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ message: 'hello' });
  });

  it('writes a readable line on a terminal, workflow fields first', async () => {
    const { stream, lines } = capture(true);
    createLogger({ stream, env: {} }).warn('slow', { revision: 2, workflowId: 'wf-9', extra: 1 });
    await flush();
    expect(lines[0]).toMatch(/warn.*workflowId=wf-9 revision=2 slow \{"extra":1\}$/);
  });

  it('redacts secret fields, configured secrets and token-shaped strings', async () => {
    const { stream, lines } = capture(false);
    const logger = createLogger({ stream, env: { ANTHROPIC_API_KEY: 'sk-ant-abcdefghijkl' }, secrets: ['tenant-key-123'] });
    logger.info('got tenant-key-123 and Bearer abc.def', {
      authorization: 'Bearer xyz',
      nested: { apiKey: 'k', note: 'sk-ant-zzzzzzzzzzzz' },
      inputTokens: 12,
    });
    await flush();
    const line = lines[0] ?? '';
    for (const secret of ['tenant-key-123', 'abc.def', 'xyz', 'sk-ant-']) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({ inputTokens: 12, nested: { apiKey: '[redacted]' } });
  });

  it('redactor copies rather than mutates', () => {
    const input = { password: 'p', list: ['ok'] };
    expect(createRedactor()(input)).toEqual({ password: '[redacted]', list: ['ok'] });
    expect(input.password).toBe('p');
  });
});
