export const printJson = (value: unknown): void => {
  console.log(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2));
};

/** A failure the user can act on: message on stderr, non-zero exit, no stack. */
export function fail(message: string, exitCode = 1): void {
  console.error(message);
  process.exitCode = exitCode;
}
