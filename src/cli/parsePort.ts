import { InvalidArgumentError } from 'commander';

/** A `--port`-style flag: a whole number from 0 (any free port) to 65535. */
export const parsePort = (value: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port from 0 to 65535');
  return port;
};
