/**
 * Checks JSON text before it is parsed: how deeply arrays and objects nest, duplicate keys, and
 * keys that would reach an object's prototype once parsed (`__proto__`, `constructor.prototype`).
 * Parsing is not where deep nesting hurts (V8's JSON.parse copes); every recursive walk after it
 * does (schema validation, canonical hashing, upcasting), and a stack overflow there would be the
 * server's fault. So the edge refuses what no walk should see, for API bodies and CLI inputs alike.
 */

/** How deeply an input or a command's data may nest arrays and objects (`maxJsonDepth`). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

export interface JsonTextLimits {
  /** Arrays and objects inside each other: `{}` is 1 level, `{"a":[1]}` 2. */
  maxDepth: number;
  /**
   * The top-level object is an envelope (an API body such as `{ "input": … }`): it does not count,
   * so the limit applies to each member as it does to a CLI `--input`.
   */
  envelope?: boolean;
}

export type JsonPathSegment = string | number;

export interface JsonTextProblem {
  kind: 'too_deep' | 'duplicate_key' | 'prototype_key';
  /** Where: the container that would nest too deeply, or the duplicated key. */
  path: readonly JsonPathSegment[];
  /** For people: what is wrong and where. */
  message: string;
}

interface Frame {
  object: boolean;
  keys: Set<string> | undefined;
  key: string;
  index: number;
  expectKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** `['input', 'a', 0]` -> `input.a[0]`; the root is `(root)`; long paths keep their start. */
export function formatJsonPath(path: readonly JsonPathSegment[]): string {
  const text = path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${segment}`)).join('');
  if (text === '') return '(root)';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The first problem in `text`, or undefined. Malformed JSON is not reported here (the parser that
 * runs next says what is wrong with it); a problem found before the text turns malformed still is.
 * Linear in the text's length; keys are decoded only when they hold an escape.
 */
export function checkJsonText(text: string, limits: JsonTextLimits): JsonTextProblem | undefined {
  const stack: Frame[] = [];
  const free = limits.envelope === true ? 1 : 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = closingQuote(text, i);
      if (end < 0) return undefined;
      const top = stack[stack.length - 1];
      if (top !== undefined && top.object && top.expectKey) {
        const key = keyText(text, i, end);
        if (key === undefined) return undefined;
        const keys = (top.keys ??= new Set());
        if (keys.has(key)) {
          const path = [...segmentsOf(stack.slice(0, -1)), key];
          return { kind: 'duplicate_key', path, message: `duplicate key ${JSON.stringify(key.slice(0, 64))} at ${formatJsonPath(path)}` };
        }
        if (key === '__proto__' || (key === 'prototype' && stack[stack.length - 2]?.key === 'constructor')) {
          const path = [...segmentsOf(stack.slice(0, -1)), key];
          return {
            kind: 'prototype_key',
            path,
            message: `key ${JSON.stringify(key)} is not allowed (it would reach an object's prototype) at ${formatJsonPath(path)}`,
          };
        }
        keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      if (stack.length - free >= limits.maxDepth) {
        const path = segmentsOf(stack);
        return { kind: 'too_deep', path, message: `arrays and objects nested more than ${limits.maxDepth} levels deep at ${formatJsonPath(path)}` };
      }
      stack.push({ object: code === 0x7b, keys: undefined, key: '', index: 0, expectKey: code === 0x7b });
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      stack.pop();
    } else if (code === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        if (top.object) top.expectKey = true;
        else top.index++;
      }
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const end = text.indexOf('"', at);
    if (end < 0) return -1;
    let backslashes = 0;
    for (let j = end - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return end;
    at = end + 1;
  }
}

function keyText(text: string, start: number, end: number): string | undefined {
  const raw = text.slice(start + 1, end);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return undefined;
  }
}

/** Where the frames stand: each object's current key, each array's current index. */
const segmentsOf = (stack: readonly Frame[]): JsonPathSegment[] => stack.map((frame) => (frame.object ? frame.key : frame.index));
