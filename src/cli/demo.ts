import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { inlineInputFiles } from './inlineInputFiles.js';
import { openEngineHost } from './openEngineHost.js';
import { addEngineOptions } from './run.js';
import { runWorkflow } from './runWorkflow.js';
import { withShutdown } from './withShutdown.js';

export const SAMPLE_INPUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/brief/input.json');

/** The bundled sample, its files read into inline documents. */
export const sampleBriefInput = (file = SAMPLE_INPUT): unknown => inlineInputFiles(JSON.parse(readFileSync(file, 'utf8')), dirname(file));

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
