/** The value after `--name` in a benchmark's arguments, if given. */
export const argText = (args: readonly string[], name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};

/** The number after `--name`, or `fallback`; anything else than a number is refused, not run as NaN. */
export const argNumber = (args: readonly string[], name: string, fallback: number): number => {
  const text = argText(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`--${name} takes a number, not ${JSON.stringify(text)}`);
  return value;
};
