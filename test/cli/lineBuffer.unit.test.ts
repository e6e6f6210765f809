import { describe, expect, it } from 'vitest';
import { createLineBuffer } from '../../src/cli/lineBuffer.js';

describe('createLineBuffer', () => {
  it('writes lines in blocks of maxLines, and the rest on flush, in order', () => {
    const writes: string[] = [];
    const buffer = createLineBuffer({ write: (text: string) => writes.push(text) }, 2);
    for (const line of ['a', 'b', 'c']) buffer.write(line);
    expect(writes).toEqual(['a\nb\n']);
    buffer.flush();
    buffer.flush();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes nothing for an empty buffer', () => {
    const writes: string[] = [];
    createLineBuffer({ write: (text: string) => writes.push(text) }).flush();
    expect(writes).toEqual([]);
  });
});
