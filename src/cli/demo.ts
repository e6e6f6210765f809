import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { openEngineHost } from './openEngineHost.js';
import { addEngineOptions } from './run.js';
import { runWorkflow } from './runWorkflow.js';
import { withShutdown } from './withShutdown.js';

export const SAMPLE_INPUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/brief/input.json');

/** The bundled sample, with its files read here (the CLI edge) into inline documents, so the recorded input is self-contained. */
export function sampleBriefInput(file = SAMPLE_INPUT): Record<string, unknown> {
  const sample = JSON.parse(readFileSync(file, 'utf8')) as { files?: string[] } & Record<string, unknown>;
  const { files = [], ...rest } = sample;
  return { ...rest, documents: files.map((path) => ({ name: basename(path), text: readFileSync(resolve(dirname(file), path), 'utf8') })) };
}

export function demoCommand(): Command {
  return addEngineOptions(new Command('demo').description('Run the `brief` workflow on the bundled sample documents, following each transition')).action(
    async (options: { store?: string; llm?: string; artifacts?: string }) => {
      const host = await openEngineHost(options);
      process.exitCode = await withShutdown(host, undefined, () =>
        runWorkflow(host, { definition: 'brief', input: sampleBriefInput(), follow: true, print: (line) => console.log(line) }),
      );
    },
  );
}
