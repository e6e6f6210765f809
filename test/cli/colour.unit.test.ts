import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';

/** A stream that says it is a terminal, and the text written to it. */
function terminal(): { stream: PassThrough & { isTTY: boolean }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

const logOnce = async (env: Record<string, string | undefined>): Promise<string> => {
  const { stream, text } = terminal();
  const logger = createLogger({ format: 'pretty', stream, env });
  logger.warn('ecl serve started', { workflowId: 'w-1' });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return text();
};

describe('colour in log lines', () => {
  it('colours the level on a terminal when NO_COLOR is unset or empty', async () => {
    expect(await logOnce({})).toContain('\x1b[');
    expect(await logOnce({ NO_COLOR: '' })).toContain('\x1b[');
  });

  it('never colours with NO_COLOR set to any non-empty value, even on a terminal', async () => {
    for (const value of ['1', 'true', 'no']) {
      const line = await logOnce({ NO_COLOR: value });
      expect(line).toMatch(/warn\s+workflowId=w-1 ecl serve started/);
      expect(line).not.toContain('\x1b[');
    }
  });

  it('never colours a stream that is not a terminal', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    createLogger({ format: 'pretty', stream, env: {} }).warn('piped');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(text).toMatch(/warn\s+piped/);
    expect(text).not.toContain('\x1b[');
  });
});
