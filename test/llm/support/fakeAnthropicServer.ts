/**
 * A local stand-in for the Anthropic Messages API on 127.0.0.1 (ephemeral port), for adapter, engine and
 * end-to-end tests and the benchmark. It speaks POST /v1/messages as plain JSON and as SSE (`stream: true`),
 * with text and tool_use blocks, usage, and a `request-id` header; replies are scripted per request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export type FakeReply =
  | {
      kind: 'message';
      text?: string;
      /** A tool_use block; `rawJson` streams exactly this (possibly malformed) JSON as the input. */
      toolUse?: { name: string; input?: unknown; rawJson?: string; id?: string };
      usage?: FakeUsage;
      model?: string;
      stopReason?: string;
      /** How many deltas to split streamed text/JSON into. Default 3. */
      chunks?: number;
    }
  | { kind: 'error'; status: number; type?: string; message?: string; headers?: Record<string, string> }
  /** Never answers; the test's timeout or abort must cut it. */
  | { kind: 'hang' }
  /** Starts a text stream, sends `text` as one delta, then stops sending without ending. */
  | { kind: 'streamThenHang'; text: string };

export interface FakeRequest {
  index: number;
  body: {
    model: string;
    stream?: boolean;
    messages: unknown[];
    system?: string;
    tools?: unknown[];
    tool_choice?: unknown;
    max_tokens?: number;
    temperature?: number;
  } & Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** The credential sent, from `x-api-key` or `authorization: Bearer …` (the SDK uses either, by version). */
  apiKey: string | undefined;
  /** Resolves when the exchange ends: `true` if the client closed the connection before the reply was complete. */
  closedEarly: Promise<boolean>;
}

export interface FakeAnthropicOptions {
  /** Replies in order; when exhausted, `fallback` (default: a short text message) answers. */
  script?: FakeReply[];
  handler?: (request: FakeRequest) => FakeReply | Promise<FakeReply>;
  fallback?: FakeReply;
  /** Answers 401 unless the request's credential equals this. */
  apiKey?: string;
}

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL` / ANTHROPIC_BASE_URL). */
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

const DEFAULT_MODEL = 'claude-sonnet-4-6';
const estimate = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const script = [...(options.script ?? [])];
  const requests: FakeRequest[] = [];
  const fallback: FakeReply = options.fallback ?? { kind: 'message', text: 'ok' };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Not found' } }));
      return;
    }
    const index = requests.length;
    let settle: (early: boolean) => void = () => undefined;
    const closedEarly = new Promise<boolean>((resolve) => (settle = resolve));
    res.on('close', () => settle(!res.writableFinished));
    const apiKey = headerValue(req.headers['x-api-key']) ?? headerValue(req.headers.authorization)?.replace(/^Bearer\s+/i, '');
    const request: FakeRequest = { index, body: JSON.parse(raw) as FakeRequest['body'], headers: req.headers, apiKey, closedEarly };
    requests.push(request);
    const requestId = `req_fake_${index + 1}`;
    if (options.apiKey !== undefined && apiKey !== options.apiKey) {
      return sendError(res, requestId, { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid api key' });
    }
    const reply = options.handler ? await options.handler(request) : (script.shift() ?? fallback);
    switch (reply.kind) {
      case 'error':
        return sendError(res, requestId, reply);
      case 'hang':
        res.writeHead(200, { 'content-type': request.body.stream ? 'text/event-stream' : 'application/json', 'request-id': requestId });
        res.flushHeaders();
        return;
      case 'streamThenHang':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': requestId });
        sse(res, 'message_start', { type: 'message_start', message: messageShell(request, requestId, DEFAULT_MODEL, { input_tokens: 10, output_tokens: 1 }) });
        sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
        sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: reply.text } });
        return;
      case 'message':
        return request.body.stream ? sendStream(res, request, requestId, reply) : sendMessage(res, request, requestId, reply);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

function sendError(res: ServerResponse, requestId: string, reply: Extract<FakeReply, { kind: 'error' }>): void {
  const type =
    reply.type ??
    (reply.status === 429 ? 'rate_limit_error' : reply.status === 529 ? 'overloaded_error' : reply.status >= 500 ? 'api_error' : 'invalid_request_error');
  res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': requestId, ...reply.headers });
  res.end(JSON.stringify({ type: 'error', error: { type, message: reply.message ?? type } }));
}

type MessageReply = Extract<FakeReply, { kind: 'message' }>;

function usageOf(request: FakeRequest, reply: MessageReply): Required<Pick<FakeUsage, 'input_tokens' | 'output_tokens'>> & FakeUsage {
  const produced = reply.toolUse ? (reply.toolUse.rawJson ?? JSON.stringify(reply.toolUse.input ?? {})) : (reply.text ?? '');
  return { input_tokens: estimate(JSON.stringify(request.body.messages) + (request.body.system ?? '')), output_tokens: estimate(produced), ...reply.usage };
}

function messageShell(request: FakeRequest, requestId: string, model: string, usage: FakeUsage) {
  return {
    id: `msg_${requestId}`,
    type: 'message',
    role: 'assistant',
    model: model || request.body.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage,
  };
}

function sendMessage(res: ServerResponse, request: FakeRequest, requestId: string, reply: MessageReply): void {
  const usage = usageOf(request, reply);
  const content = reply.toolUse
    ? [
        {
          type: 'tool_use',
          id: reply.toolUse.id ?? `toolu_${request.index + 1}`,
          name: reply.toolUse.name,
          input: reply.toolUse.rawJson ?? reply.toolUse.input ?? {},
        },
      ]
    : [{ type: 'text', text: reply.text ?? '' }];
  const message = {
    ...messageShell(request, requestId, reply.model ?? request.body.model, usage),
    content,
    stop_reason: reply.stopReason ?? (reply.toolUse ? 'tool_use' : 'end_turn'),
  };
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
  res.end(JSON.stringify(message));
}

function sendStream(res: ServerResponse, request: FakeRequest, requestId: string, reply: MessageReply): void {
  const usage = usageOf(request, reply);
  const { output_tokens, ...startUsage } = usage;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': requestId });
  sse(res, 'message_start', {
    type: 'message_start',
    message: messageShell(request, requestId, reply.model ?? request.body.model, { ...startUsage, output_tokens: 1 }),
  });
  if (reply.toolUse) {
    const json = reply.toolUse.rawJson ?? JSON.stringify(reply.toolUse.input ?? {});
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: reply.toolUse.id ?? `toolu_${request.index + 1}`, name: reply.toolUse.name, input: {} },
    });
    for (const piece of split(json, reply.chunks ?? 3))
      sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } });
  } else {
    sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (const piece of split(reply.text ?? '', reply.chunks ?? 3))
      sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
  }
  sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: reply.stopReason ?? (reply.toolUse ? 'tool_use' : 'end_turn'), stop_sequence: null },
    usage: { output_tokens },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function split(text: string, chunks: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / chunks));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}
