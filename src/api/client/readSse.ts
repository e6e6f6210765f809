import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One Server-Sent Event as received. */
export interface SseEvent {
  event: string;
  /** The last event id seen so far on this connection (the spec's `lastEventId`), if any. */
  id?: string;
  data: string;
}

/** Parses an SSE byte stream (the WHATWG event-stream format, by `eventsource-parser`) into events, as they arrive. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => parsed.push(message) });
  let id: string | undefined;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    for (const message of parsed.splice(0)) {
      id = message.id ?? id;
      yield { event: message.event ?? 'message', ...(id === undefined ? {} : { id }), data: message.data };
    }
  }
}
