import { Command } from 'commander';
import { addReadSideOptions, type ReadSideOptions } from './commonOptions.js';
import { printJson } from './output.js';

const rebuild = () =>
  addReadSideOptions(new Command('rebuild').description('Empty the read models and apply the whole log again')).action(async (options: ReadSideOptions) => {
    const { withProjections } = await import('./projectionCliSupport.js');
    await withProjections(
      options,
      async ({ runner, path }) => {
        const started = performance.now();
        const progress = await runner.rebuild({
          onProgress: ({ processed, checkpoint, head }) => {
            if (!options.json) process.stderr.write(`\rrebuilding ${path}: ${processed} events, position ${checkpoint ?? '-'} of ${head ?? '-'}`);
          },
        });
        const seconds = (performance.now() - started) / 1000;
        if (!options.json) process.stderr.write('\n');
        const summary = {
          path,
          events: progress.processed,
          checkpoint: progress.checkpoint,
          seconds: Number(seconds.toFixed(3)),
          skipped: await runner.skipped(),
        };
        if (options.json) return printJson(summary);
        console.log(
          `rebuilt ${path}: ${summary.events} events in ${summary.seconds} s${summary.skipped.length > 0 ? `; skipped ${summary.skipped.map((skip) => `${skip.count} ${skip.reason} (${skip.detail})`).join(', ')}` : ''}`,
        );
      },
      { catchUp: false },
    );
  });

const status = () =>
  addReadSideOptions(new Command('status').description('Checkpoint, lag and skipped events of the read models')).action(async (options: ReadSideOptions) => {
    const { withProjections } = await import('./projectionCliSupport.js');
    await withProjections(options, async ({ runner, path }) => {
      const lag = await runner.lag();
      const summary = { path, ...lag, skipped: await runner.skipped() };
      if (options.json) return printJson(summary);
      console.log(`${path}: checkpoint ${lag.checkpoint ?? '-'}, head ${lag.head ?? '-'}, lag ${lag.positions} positions`);
      for (const skip of summary.skipped) console.log(`  skipped ${skip.count} × ${skip.reason}: ${skip.detail} (last at ${skip.lastPosition})`);
    });
  });

export function projectionsCommand(): Command {
  return new Command('projections').description('Manage the read models (status, audit, metrics)').addCommand(rebuild()).addCommand(status());
}
