import { isLoopbackHost } from '../net/index.js';

export class InsecureBindError extends Error {
  readonly code = 'INSECURE_BIND' as const;
  constructor(readonly host: string) {
    super(
      `Refusing to listen on ${host}: no API keys are configured, so the API would be open to anyone who can reach it. Set ECL_API_KEYS="<secret>=<tenant>" (or apiKeys in ecl.config.json), or bind a loopback host such as 127.0.0.1.`,
    );
    this.name = 'InsecureBindError';
  }
}
export const isInsecureBindError = (error: unknown): error is InsecureBindError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'INSECURE_BIND';

/** Open single-tenant mode is only safe on loopback: refuse anything else. */
export function assertSafeBind(host: string, keysConfigured: boolean): void {
  if (!keysConfigured && !isLoopbackHost(host)) throw new InsecureBindError(host);
}
