import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createApiClient } from 'ecl-workflows/client';
import { remoteRun, remoteSend } from '../../src/cli/remote/remoteCommands.js';
import { createRegistry } from '../../src/machines/index.js';
import { KEYS, type TestServer, startTestServer } from './support/testServer.js';

const DAY = 24 * 3_600_000;

/** Waits for a go-ahead, then reminds two days later: the server keeps the timer. */
const reminder = defineWorkflow({
  name: 'reminder',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'signal', name: 'ask', signal: 'go' },
    { kind: 'sleep', name: 'nap', for: 2 * DAY },
    { kind: 'produce', name: 'remind', run: async () => 'reminded' },
  ],
});

/** Sleeps as soon as it starts: a long nap, or a blink the follow waits through. */
const napper = defineWorkflow({
  name: 'napper',
  version: 1,
  input: z.object({ ms: z.number() }),
  outputs: { wake: z.string() },
  output: 'wake',
  steps: [
    { kind: 'sleep', name: 'nap', for: ({ input }) => input.ms },
    { kind: 'produce', name: 'wake', run: async () => 'awake' },
  ],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([reminder, napper]) });
});
afterAll(async () => server.stop());

/** Runs a remote command with console.log captured: its exit code and printed lines. */
async function printedBy(command: () => Promise<number>): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
  try {
    return { code: await command(), text: printed.join('\n') };
  } finally {
    log.mockRestore();
  }
}

it('ecl send --server and ecl run --server stop at a long sleep on the server, saying when it wakes, instead of waiting days in silence', async () => {
  const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
  const started = await printedBy(() => remoteRun(api, { definition: 'reminder', input: {}, id: 'nap-1', follow: false }));
  expect(started.code).toBe(1);
  expect(started.text).toContain('Waiting for signal go');

  const sent = await printedBy(() => remoteSend(api, { id: 'nap-1', type: 'go', data: null, follow: false }));
  expect(sent.code, sent.text).toBe(1);
  const status = await api.get('nap-1');
  expect(status).toMatchObject({ status: 'running', wakeReason: 'sleep' });
  const sleeping = `Sleeping at nap until ${status.wakeAt}: the server wakes it then (ecl status nap-1 --server ${server.url} shows where it is)`;
  expect(sent.text).toBe(`go accepted: nap-1 (revision 2)\n${sleeping}`);

  // Run again on the id: where it is, and the same line, at once.
  const resumed = await printedBy(() => remoteRun(api, { definition: 'reminder', input: undefined, id: 'nap-1', follow: false }));
  expect(resumed.code).toBe(1);
  expect(resumed.text).toContain(`Resuming reminder v1 at nap.sleeping`);
  expect(resumed.text.endsWith(sleeping)).toBe(true);
});

it("the client sends a definition's typed signal as it is", async () => {
  const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
  await api.start({ definition: 'reminder', input: {}, id: 'nap-2' });
  expect(await api.send('nap-2', reminder.signal('go', { by: 'Ada' }))).toMatchObject({ workflowId: 'nap-2', type: 'go' });
  // @ts-expect-error the event as a whole carries its data: a third argument would be dropped
  void (() => api.send('nap-2', reminder.signal('go', null), { by: 'Ada' }));
  const received = (await api.audit('nap-2')).entries.find((entry) => entry.type === 'SignalReceived');
  expect(received).toMatchObject({ sender: KEYS.acme.id, summary: 'signal go received at ask: {"by":"Ada"}' });
});

it('a run that starts with a long sleep stops there; a short sleep is followed through, and a run again of it finds it completed', async () => {
  const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
  const long = await printedBy(() => remoteRun(api, { definition: 'napper', input: { ms: 2 * DAY }, id: 'nap-3', follow: false }));
  expect(long.code, long.text).toBe(1);
  expect(long.text).toMatch(/Sleeping at nap until \S+: the server wakes it then/);

  const short = await printedBy(() => remoteRun(api, { definition: 'napper', input: { ms: 200 }, id: 'nap-4', follow: false }));
  expect(short.code, short.text).toBe(0);
  expect(short.text).toContain('Completed nap-4');
  // The same start again replays the stream, its sleep long over: still completed.
  const again = await printedBy(() => remoteRun(api, { definition: 'napper', input: { ms: 200 }, id: 'nap-4', follow: true }));
  expect(again.code, again.text).toBe(0);
  expect(again.text).toContain('Completed nap-4');
  expect(again.text).not.toContain('the server wakes it then');
});

it("the client's get(definition, id) types the output as the definition declares it, and refuses a workflow of another definition", async () => {
  const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
  const { status } = await api.run({ definition: 'napper', input: { ms: 1 }, id: 'typed-1' }, { waitSeconds: 10 });
  expect(status.status).toBe('completed');
  const typed = await api.get(napper, 'typed-1');
  // A string, as `outputs.wake` declares it (a JsonValue would not compile here).
  const output: string | null = typed.output;
  expect(output).toBe('awake');
  await expect(api.get(reminder, 'typed-1')).rejects.toThrow(new TypeError('Workflow typed-1 runs napper v1, not reminder v1'));
});
