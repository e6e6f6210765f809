import { describe, expect, it } from 'vitest';
import { auditEntryOf } from '../../src/projections/auditEntry.js';
import type { DecodedEvent } from '../../src/projections/decodeEvent.js';
import type { JsonValue } from '../../src/eventstore/index.js';

/** The summary's preview as first written: collapse all whitespace, trim, cut at 80 characters. */
const reference = (value: JsonValue): string => {
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};

const completedWith = (output: JsonValue): DecodedEvent => {
  const event = { type: 'StepCompleted', data: { v: 1, step: 'draft', iteration: 1, attempt: 1, output } } as DecodedEvent['event'];
  const metadata = { workflowId: 'wf', definition: 'brief', version: 1, sender: 'system', at: '2026-01-01T00:00:00.000Z' };
  return { workflowId: 'wf', revision: 1, position: 2n, event, metadata, storedVersion: 1, recorded: undefined as never };
};

describe('audit summary preview of an output', () => {
  it('is the output on one line, whitespace collapsed, cut at 80 characters, however long the output', () => {
    const outputs: JsonValue[] = [
      '',
      'short',
      '   leading and trailing   ',
      'x'.repeat(79),
      'x'.repeat(80),
      'x'.repeat(81),
      `${' '.repeat(500)}late start`,
      `${'a \n\t '.repeat(400)}end`,
      `${'word  '.repeat(30)}${' '.repeat(1000)}`,
      `${'y'.repeat(78)}${' '.repeat(300)}z`,
      `${'y'.repeat(79)}\u00a0\u2028 z${'q'.repeat(5000)}`,
      { nested: { text: 'a\nb', list: [1, 2, 3] }, long: 'w '.repeat(200) },
      ['x', ' '.repeat(200), 'y'],
    ];
    for (const output of outputs) {
      expect(auditEntryOf(completedWith(output)).summary).toBe(`draft completed: ${reference(output)}`);
    }
  });
});
