import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiClient } from 'ecl-workflows/client';
import { remoteAudit, remoteRun, remoteStatus } from '../../src/cli/remote/remoteCommands.js';
import { createRegistry } from '../../src/machines/index.js';
import { digest, gatekeeper, petitioner, summary } from './support/familyDefinitions.js';
import { KEYS, type TestServer, eventually, startTestServer } from './support/testServer.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([summary, digest, gatekeeper, petitioner]) });
});
afterAll(async () => server.stop());

describe("a parent's audit over the API", () => {
  it('lists the child workflows with their own usage, by the caller’s ids, and only to the caller’s tenant', async () => {
    const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
    expect(await api.run({ definition: 'digest', input: {}, id: 'family-1' })).toMatchObject({ finished: true, status: { status: 'completed' } });
    const audit = await api.audit('family-1');
    expect(audit.descendants).toHaveLength(2);
    for (const child of audit.descendants) {
      // Ids as the caller knows them: no tenant prefix, the parent's own id as parent.
      expect(child).toMatchObject({ definition: 'summary', status: 'completed', parentId: 'family-1', calls: 1 });
      expect(child.workflowId).toMatch(/^family-1/);
      expect(child.workflowId).not.toContain('acme');
      expect(child.inputTokens + child.outputTokens).toBeGreaterThan(0);
      // Each child's own audit is the caller's to read too.
      expect((await api.audit(child.workflowId)).descendants).toEqual([]);
    }
    // Another tenant sees neither the parent nor its children.
    const other = await server.call('GET', '/v1/workflows/family-1/audit', { key: KEYS.globex.key });
    expect(other.status).toBe(404);
    for (const child of audit.descendants)
      expect((await server.call('GET', `/v1/workflows/${encodeURIComponent(child.workflowId)}/audit`, { key: KEYS.globex.key })).status).toBe(404);

    // `ecl audit --remote` prints the same lines as the local audit: one per child, then the family total.
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      await remoteAudit(api, 'family-1', false);
    } finally {
      log.mockRestore();
    }
    const text = printed.join('\n');
    expect(text).toContain('child workflows: 2');
    for (const child of audit.descendants) expect(text).toMatch(new RegExp(`^  ${child.workflowId} · summary · completed · `, 'm'));
    expect(text).toMatch(/^with child workflows: 3 model calls/m);

    // `ecl run --server` of a finished parent ends with the family's total, as the local run does.
    const familyTotal = /^with child workflows: (.+)$/m.exec(text)?.[1];
    printed.length = 0;
    const again = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      expect(await remoteRun(api, { definition: 'digest', input: undefined, id: 'family-1', follow: false })).toBe(0);
    } finally {
      again.mockRestore();
    }
    // Its own usage, as the local run prints it.
    expect(printed).toContainEqual(expect.stringMatching(/^Completed family-1 \(\d[\d,]* tokens, \$\d+\.\d{4}\)$/));
    expect(printed).toContain(`With 2 child workflows (2 completed): ${familyTotal} in all (ecl audit family-1 lists each)`);
  });
});

describe("a parent's children over the API", () => {
  const printedBy = async (command: () => Promise<unknown>): Promise<string[]> => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      await command();
    } finally {
      log.mockRestore();
    }
    return printed.join('\n').split('\n');
  };

  it('GET /v1/workflows?parent= lists the children by the caller’s ids, to the caller’s tenant only; remote ecl status lists the unfinished ones', async () => {
    const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
    await api.start({ definition: 'petitioner', input: {}, id: 'petition-1' });
    const children = await eventually(async () => {
      const page = await api.list({ parent: 'petition-1' });
      return page.items.length === 2 && page.items.every((item) => item.status === 'waiting') ? page.items : undefined;
    }, 'both children waiting');
    expect(children.map((child) => child.workflowId).sort()).toEqual([
      expect.stringMatching(/^petition-1\.notify-[0-9a-f]{12}$/),
      expect.stringMatching(/^petition-1\.permit-[0-9a-f]{12}$/),
    ]);
    for (const child of children) expect(child).toMatchObject({ definition: 'gatekeeper', parent: { workflowId: 'petition-1', step: 'ask' } });
    expect((await api.list({ parent: 'no-such-parent' })).items).toEqual([]);
    const other = await server.call('GET', '/v1/workflows?parent=petition-1', { key: KEYS.globex.key });
    expect(other).toMatchObject({ status: 200, body: { items: [] } });

    // As the local ecl status does: the parent, then its unfinished children with what they wait for.
    const lines = await printedBy(() => remoteStatus(api, 'petition-1', false));
    expect(lines[0]).toBe('petition-1  petitioner v1  running');
    const listed = lines.filter((line) => /^ {2}(children| {8}) {4}petition-1\./.test(line));
    expect(listed).toHaveLength(2);
    for (const line of listed) expect(line).toMatch(/petition-1\.(notify|permit)-[0-9a-f]{12} {2}gatekeeper v1 {2}waiting for approval at gate$/);

    // A child names its parent; a finished parent lists no children (its notify child still waits).
    const permit = children.find((child) => child.workflowId.includes('.permit-'))!;
    await api.send(permit.workflowId, 'APPROVE');
    await eventually(async () => ((await api.get('petition-1')).status === 'completed' ? true : undefined), 'the parent completed');
    const after = await printedBy(() => remoteStatus(api, 'petition-1', false));
    expect(after[0]).toBe('petition-1  petitioner v1  completed');
    expect(after.join('\n')).not.toContain('children');
    const notify = children.find((child) => child.workflowId.includes('.notify-'))!;
    expect(await printedBy(() => remoteStatus(api, notify.workflowId, false))).toContain('  parent      petition-1 (step ask, call "notify")');
  });
});
