import { createAnthropicProvider, createOfflineProvider, createScriptedProvider } from '../../src/llm/index.js';
import { llmContract } from './llmContract.js';
import { startFakeAnthropic } from './support/fakeAnthropicServer.js';

const draftText = 'The library opened in 1901. It lends 40,000 books a year.';
const verdict = { verdict: 'approve', feedback: 'Clear and accurate.' };

llmContract('offline', async () => ({ provider: createOfflineProvider() }));

llmContract('scripted', async () => ({
  provider: createScriptedProvider({ script: { steps: { draft: [{ text: draftText }], review: [{ output: verdict }] } } }),
}));

llmContract('anthropic (fake Messages API)', async () => {
  const server = await startFakeAnthropic({
    // Several deltas per answer, so an abort after the first one lands mid-stream.
    handler: (request) =>
      request.body.tools
        ? { kind: 'message', toolUse: { name: 'submit_verdict', input: verdict }, chunks: 4 }
        : { kind: 'message', text: draftText, chunks: 4 },
  });
  const provider = createAnthropicProvider({ apiKey: 'sk-ant-test', baseURL: server.url, policy: { initialDelayMs: 1 } });
  return { provider, cleanup: () => server.close() };
});
