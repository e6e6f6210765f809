import { isIP } from 'node:net';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
  return false;
}

export class InsecureBindError extends Error {
  readonly code = 'INSECURE_BIND' as const;
  constructor(readonly host: string) {
    super(`Refusing to listen on ${host}: no API keys are configured, so the API would be open to anyone who can reach it. Set ECL_API_KEYS="<secret>=<tenant>" (or apiKeys in ecl.config.json), or bind a loopback host such as 127.0.0.1.`);
    this.name = 'InsecureBindError';
  }
}
export const isInsecureBindError = (error: unknown): error is InsecureBindError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'INSECURE_BIND';

/** Open single-tenant mode is only safe on loopback: refuse anything else. */
export function assertSafeBind(host: string, keysConfigured: boolean): void {
  if (!keysConfigured && !isLoopbackHost(host)) throw new InsecureBindError(host);
}
