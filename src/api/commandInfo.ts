import { Approve, Cancel, Reject, RequestRevision } from '../machines/index.js';
import type { CommandInfo } from './ports.js';

/** Each command's fields as the API's `data` (the command minus its `type`). */
export const COMMANDS: readonly CommandInfo[] = [
  { type: 'APPROVE', description: 'Approve the output the workflow waits on', data: Approve.omit({ type: true }) },
  { type: 'REJECT', description: 'Reject it: the workflow fails with the reason', data: Reject.omit({ type: true }) },
  { type: 'REQUEST_REVISION', description: 'Send the output back for another iteration with feedback', data: RequestRevision.omit({ type: true }) },
  { type: 'CANCEL', description: 'Cancel the workflow; a model call in flight is aborted', data: Cancel.omit({ type: true }) },
];
