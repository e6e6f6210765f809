/**
 * A printer that keeps its lines until released, then prints them in order and passes the rest
 * through: what a command caused is printed after the line that says what the command did.
 */
export function holdLines(print: (line: string) => void): { print: (line: string) => void; release: () => void } {
  let held: string[] | undefined = [];
  return {
    print: (line) => (held === undefined ? print(line) : void held.push(line)),
    release() {
      const lines = held ?? [];
      held = undefined;
      for (const line of lines) print(line);
    },
  };
}
