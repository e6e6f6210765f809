import { EventStoreError } from '../errors.js';

const SCHEMES: Readonly<Record<string, string>> = {
  kurrentdb: 'kurrentdb',
  'kurrentdb+discover': 'kurrentdb+discover',
  // The client still parses `esdb`, but warns on the console; it is the same protocol.
  esdb: 'kurrentdb',
  'esdb+discover': 'kurrentdb+discover',
};

export interface KurrentDbStoreUrl {
  /** The connection string handed to the client (`esdb` spelled `kurrentdb`; options pass through). */
  connectionString: string;
  /** The URL as given, with any credentials masked: safe for logs and error messages. */
  redacted: string;
}

/** Credentials in a connection string's user-info never reach a log or an error message. */
export const redactUrl = (url: string): string => url.replace(/\/\/[^/@]*@/, '//***@');

/** Checks a `kurrentdb://`, `kurrentdb+discover://`, `esdb://` or `esdb+discover://` URL. */
export function parseKurrentDbUrl(url: string): KurrentDbStoreUrl {
  const match = /^([a-z+]+):\/\/(.+)$/i.exec(url);
  const scheme = SCHEMES[match?.[1]?.toLowerCase() ?? ''];
  if (match === null || scheme === undefined) {
    throw new EventStoreError(
      'INVALID_STORE_URL',
      `"${redactUrl(url)}" is not a KurrentDB URL: use kurrentdb://host:port?tls=false (or esdb://, kurrentdb+discover://)`,
    );
  }
  return { connectionString: `${scheme}://${match[2]}`, redacted: redactUrl(url) };
}
