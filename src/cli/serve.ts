import { Command, Option } from 'commander';
import { parsePort } from './parsePort.js';
import { UsageError } from './usageError.js';
import { addWorkflowsOption, artifactsOption, llmOption, projectionsOption, storeOption, type WorkflowsOptions } from './commonOptions.js';

interface ServeOptions extends WorkflowsOptions {
  watch?: boolean;
  store?: string;
  port?: number;
  host?: string;
  inspect?: boolean | number;
  llm?: string;
  artifacts?: string;
  projections?: string;
}

/** `ecl serve`: the product's main process. Env and ecl.config.json fill what the flags leave out. */
export function serveCommand(): Command {
  return addWorkflowsOption(new Command('serve'))
    .description('Host the runtime (recovering unfinished workflows), the projections and the HTTP API')
    .option('--watch', 'reload the workflow modules when their files change (new starts take the new code; running workflows keep their version)')
    .addOption(storeOption())
    .option('--port <port>', 'port to listen on (default 3000; 0 = any free port)', parsePort)
    .option('--host <host>', 'interface to bind (default 127.0.0.1); non-loopback needs API keys')
    .addOption(new Option('--inspect [port]', 'relay live workflows to the Stately inspector on 127.0.0.1 (default port 8080)').argParser(parsePort))
    .addOption(llmOption())
    .addOption(artifactsOption())
    .addOption(projectionsOption())
    .action(async (options: ServeOptions) => {
      // Fastify and the API load only for `serve`, so the other commands start faster.
      const { startServer } = await import('../api/index.js');
      const server = await startServer({
        flags: {
          workflows: options.workflows,
          store: options.store,
          port: options.port,
          host: options.host,
          llm: options.llm,
          artifactsDir: options.artifacts,
          projections: options.projections,
          inspectPort: typeof options.inspect === 'number' ? options.inspect : undefined,
        },
        inspect: options.inspect !== undefined && options.inspect !== false,
        watch: options.watch === true,
      }).catch((error: unknown) => {
        // Taken by another process (an ecl serve already running?): the user's to fix, not a crash.
        const { code, address, port } = error as { code?: unknown; address?: unknown; port?: unknown };
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
        throw new UsageError(
          `ecl serve: cannot listen on ${String(address)}:${String(port)} (${code === 'EADDRINUSE' ? 'in use: another ecl serve?' : 'not allowed'}): choose another port with --port <n> or ECL_PORT (0 picks a free one)`,
        );
      });
      console.log([server.banner[0], `Console: ${server.url}/console/ (open it in a browser)`, ...server.banner.slice(1)].join('\n'));
      if (server.inspection !== undefined) {
        const { inspectorNotice } = await import('../inspect/index.js');
        console.error(inspectorNotice(server.inspection.relay.url));
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          console.log(`${signal}: stopping (new commands refused; appends in flight finish; model calls in flight resume on the next start)`);
          void server.close().then(resolve, (error: unknown) => {
            console.error(`ecl serve: shutdown failed: ${(error as Error).message}`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('Stopped.');
    });
}
