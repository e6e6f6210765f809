import type { SendResult } from '../actors/index.js';

/** What the engine answered when it refused a command or a signal. */
export type CommandRejection = Extract<SendResult, { accepted: false }>;

/**
 * Thrown by `TestEngine.send` when the engine refuses what was sent: `code` says why
 * (`COMMAND_NOT_ALLOWED`, `INVALID_COMMAND`, …) and `accepts` what the workflow accepts now. The
 * message starts with the code.
 */
export class CommandRejectedError extends Error {
  readonly code: CommandRejection['code'];
  /** The commands and signals the workflow accepts now. */
  readonly accepts: readonly string[];
  /** The engine's whole answer. */
  readonly rejection: CommandRejection;

  constructor(rejection: CommandRejection) {
    super(`${rejection.code}: ${rejection.message}`);
    this.name = 'CommandRejectedError';
    this.code = rejection.code;
    this.accepts = rejection.accepts;
    this.rejection = rejection;
  }
}
