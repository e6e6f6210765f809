const pad = (value: number) => String(value).padStart(2, '0');

/** `2026-12-05 05:14:37` in the browser's time zone; the full ISO text goes in a title/datetime. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export const formatCost = (usd: number | null | undefined): string =>
  usd === null || usd === undefined ? '' : `$${usd < 0.01 && usd > 0 ? usd.toFixed(5) : usd.toFixed(4)}`;
export const formatTokens = (count: number | null | undefined): string => (count === null || count === undefined ? '' : count.toLocaleString('en'));

/** `draft 2, review 2` */
export const formatIterations = (iterations: Record<string, number> | undefined): string =>
  Object.entries(iterations ?? {})
    .map(([step, count]) => `${step} ${count}`)
    .join(', ');

/** A state value as a short label: `review.waiting`, `completed`. */
export function stateLabel(state: unknown): string {
  if (state === undefined || state === null) return '';
  if (typeof state === 'string') return state;
  if (typeof state === 'object' && !Array.isArray(state)) {
    const [step, phase] = Object.entries(state)[0] ?? [];
    return step === undefined ? '' : `${step}.${typeof phase === 'string' ? phase : JSON.stringify(phase)}`;
  }
  return JSON.stringify(state);
}

/** Text for a `<pre>`: strings as they are, anything else as indented JSON. */
export const showJson = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

export const COMMAND_LABELS: Record<string, string> = {
  APPROVE: 'Approve',
  REJECT: 'Reject',
  REQUEST_REVISION: 'Request revision',
  CANCEL: 'Cancel workflow',
};
export const commandLabel = (type: string): string => COMMAND_LABELS[type] ?? `Signal ${type}`;

/** The phase of the step a state value is at: `{ review: 'waiting' }` -> `waiting`. */
export function phaseOf(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  const phase = Object.values(state)[0];
  return typeof phase === 'string' ? phase : undefined;
}

export const isFinished = (status: string): boolean => status === 'completed' || status === 'failed' || status === 'cancelled';
