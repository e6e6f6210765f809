import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiClient } from 'ecl-workflows/client';
import { remoteAudit, remoteRun, remoteSend, remoteStatus } from '../../src/cli/remote/remoteCommands.js';
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

    // The server says what the parent waits on: the child its step waits for (not the one it only started).
    const permitId = children.find((child) => child.workflowId.includes('.permit-'))!.workflowId;
    expect((await api.get('petition-1')).waitingOnChildren).toEqual([permitId]);

    // A child names its parent; a finished parent lists no children (its notify child still waits).
    await api.send(permitId, 'APPROVE');
    await eventually(async () => ((await api.get('petition-1')).status === 'completed' ? true : undefined), 'the parent completed');
    const after = await printedBy(() => remoteStatus(api, 'petition-1', false));
    expect(after[0]).toBe('petition-1  petitioner v1  completed');
    expect(after.join('\n')).not.toContain('children');
    const notify = children.find((child) => child.workflowId.includes('.notify-'))!;
    expect(await printedBy(() => remoteStatus(api, notify.workflowId, false))).toContain('  parent      petition-1 (step ask, call "notify")');
  });

  it("a wait, and ecl run --server, end once the parent's children all wait for someone: the answer names them", async () => {
    const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
    // Within the wait, not at its end: a wait that ran out would say nothing of the children.
    const run = await api.run({ definition: 'petitioner', input: {}, id: 'petition-2' }, { waitSeconds: 60 });
    expect(run).toMatchObject({
      finished: false,
      status: { status: 'running', waitingOnChildren: [expect.stringMatching(/^petition-2\.permit-[0-9a-f]{12}$/)] },
    });

    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    let code: number;
    try {
      code = await remoteRun(api, { definition: 'petitioner', input: {}, id: 'petition-3', follow: true });
    } finally {
      log.mockRestore();
    }
    expect(code).toBe(1);
    const text = printed.join('\n');
    expect(text).toContain('Running petition-3 at ask.running, which waits on its child workflows:');
    const permit =
      /\n {2}(petition-3\.permit-[0-9a-f]{12}) \(gatekeeper\): Waiting for a person at gate\.waiting \(approval\): APPROVE, REJECT, CANCEL\n {4}e\.g\. ecl send \1 APPROVE --server /.exec(
        text,
      )?.[1];
    expect(permit, text).toBeDefined();

    // ecl send --server to that child finishes it, then follows its parent on, as the local send does.
    printed.length = 0;
    const again = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      code = await remoteSend(api, { id: permit as string, type: 'APPROVE', data: {}, follow: false });
    } finally {
      again.mockRestore();
    }
    const sent = printed.join('\n');
    expect(code, sent).toBe(0);
    expect(sent).toContain(`Completed ${permit}`);
    expect(sent).toMatch(/\nIts parent petition-3 \(petitioner\) goes on:\n {2}Completed petition-3 \(/);
  });
});
