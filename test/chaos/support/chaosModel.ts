import { startFakeAnthropic, type FakeAnthropic, type FakeReply, type FakeRequest } from '../../llm/support/fakeAnthropicServer.js';

/** One call the fake Messages API received, by the marker in its prompt. */
export interface ChaosCall {
  /** The fake's request index; the answer carries it as `call#<index>`, so a recorded outcome names its call. */
  index: number;
  workflowId: string;
  step: string;
  iteration: number;
  /** The call's place in the step (1, 2, …): the same on every attempt. */
  call: number;
  /** `<workflow>/<step>/<iteration>/<call>`. */
  key: string;
  /** Which process life made it (a number the campaign bumps on every spawn). */
  generation: number;
  /** Whether the answer was cut off (the caller died or hung up before the end). Undefined while in flight. */
  cut?: boolean;
}

export interface ChaosModel {
  url: string;
  calls: ChaosCall[];
  /** Calls received and not answered yet (for killing mid model call). */
  inFlight(): ChaosCall[];
  close(): Promise<void>;
}

const MARKER = /\[chaos wf=(\S+) step=(\S+) iter=(\d+) call=(\d+)\]/;

/**
 * The local fake of Anthropic's Messages API the campaign's processes call (ANTHROPIC_BASE_URL):
 * answers after a random delay, so kills land mid call; `review` says REVISE on the first
 * iteration and APPROVE after; every answer names its call (`call#<index>`).
 */
export async function startChaosModel(options: {
  random: () => number;
  generationOf: (workflowId: string) => number;
  maxDelayMs: number;
}): Promise<ChaosModel> {
  const calls: ChaosCall[] = [];
  const open = new Set<ChaosCall>();
  const handler = async (request: FakeRequest): Promise<FakeReply> => {
    const match = MARKER.exec(JSON.stringify(request.body.messages));
    if (match === null) return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'no chaos marker in the prompt' };
    const [, workflowId = '', step = '', iteration = '0', call = '0'] = match;
    const entry: ChaosCall = {
      index: request.index,
      workflowId,
      step,
      iteration: Number(iteration),
      call: Number(call),
      key: `${workflowId}/${step}/${iteration}/${call}`,
      generation: options.generationOf(workflowId),
    };
    calls.push(entry);
    open.add(entry);
    void request.closedEarly.then((cut) => {
      entry.cut = cut;
      open.delete(entry);
    });
    await new Promise((resolve) => setTimeout(resolve, Math.floor(options.random() * options.maxDelayMs)));
    const text = step === 'review' ? `${Number(iteration) === 1 ? 'REVISE' : 'APPROVE'} call#${request.index}` : `${step} text call#${request.index}`;
    return { kind: 'message', text, usage: { input_tokens: 20, output_tokens: 8 }, chunks: 2 };
  };
  const fake: FakeAnthropic = await startFakeAnthropic({ handler, apiKey: CHAOS_MODEL_KEY });
  return { url: fake.url, calls, inFlight: () => [...open], close: () => fake.close() };
}

export const CHAOS_MODEL_KEY = 'chaos-fake-anthropic-key';

/** Every `call#<n>` an event's data records: the calls whose outcomes are in the log. */
export const recordedCallsIn = (data: unknown): number[] => [...JSON.stringify(data ?? null).matchAll(/call#(\d+)/g)].map((match) => Number(match[1]));
