import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STORE_URL, openEventStore } from '../../src/eventstore/index.js';

const folder = mkdtempSync(join(tmpdir(), 'ecl-open-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('openEventStore', () => {
  it('opens memory: and sqlite: stores by URL, creating the folder', async () => {
    const memory = await openEventStore('memory:');
    expect(memory.description).toBe('memory');
    await memory.close();

    const path = join(folder, 'deep', 'nested', 'ecl.db');
    const absolute = await openEventStore(`sqlite:${path}`);
    await absolute.append('s', [{ type: 'T', data: {} }]);
    await absolute.close();
    expect(existsSync(path)).toBe(true);

    const viaRelative = await openEventStore(`sqlite:${relative(process.cwd(), path)}`);
    expect(await viaRelative.readStream('s')).toHaveLength(1);
    await viaRelative.close();

    const viaSlashes = await openEventStore(`sqlite://${path}`);
    expect(await viaSlashes.readStream('s')).toHaveLength(1);
    await viaSlashes.close();
  });

  it('defaults to an embedded file under .ecl/', () => {
    expect(DEFAULT_STORE_URL).toBe('sqlite:./.ecl/ecl.db');
  });

  it('names the URL when the scheme is unknown or the path unusable', async () => {
    await expect(openEventStore('mysql://localhost/ecl')).rejects.toMatchObject({
      code: 'INVALID_STORE_URL',
      message: expect.stringContaining('mysql://localhost/ecl'),
    });
    await expect(openEventStore('not a url')).rejects.toMatchObject({ code: 'INVALID_STORE_URL' });
    await expect(openEventStore('sqlite:')).rejects.toMatchObject({ code: 'INVALID_STORE_URL' });

    const directory = join(folder, 'a-directory');
    mkdirSync(directory);
    await expect(openEventStore(`sqlite:${directory}`)).rejects.toMatchObject({ code: 'INVALID_STORE_URL', message: expect.stringContaining(directory) });

    const notADatabase = join(folder, 'garbage.db');
    writeFileSync(notADatabase, 'this is not a database file, just text that is long enough to have a header '.repeat(20));
    await expect(openEventStore(`sqlite:${notADatabase}`)).rejects.toMatchObject({ code: 'INVALID_STORE_URL', message: expect.stringContaining(notADatabase) });

    const fileAsFolder = join(folder, 'plain-file');
    writeFileSync(fileAsFolder, '');
    await expect(openEventStore(`sqlite:${join(fileAsFolder, 'x.db')}`)).rejects.toMatchObject({ code: 'INVALID_STORE_URL' });
  });

  it.skipIf(process.getuid?.() === 0)('rejects a folder it may not write', async () => {
    const locked = join(folder, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    await expect(openEventStore(`sqlite:${join(locked, 'x.db')}`)).rejects.toMatchObject({ code: 'INVALID_STORE_URL' });
    chmodSync(locked, 0o700);
  });

  it('never shows credentials from the URL in its errors', async () => {
    const error = await openEventStore('mongodb://admin:hunter2@db:27017').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_STORE_URL' });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
