import type { EngineHost } from './openEngineHost.js';
import { EXIT } from './usageError.js';

/**
 * Runs `work` with the host open; Ctrl-C or SIGTERM closes it gracefully (calls in flight are
 * aborted and stay recoverable) and says how to resume. Always closes the host.
 */
export async function withShutdown(host: EngineHost, workflowId: string | undefined, work: () => Promise<number>): Promise<number> {
  let interrupted = false;
  const stop = () => {
    if (interrupted) return;
    interrupted = true;
    console.error(
      `\nStopping: the step in flight is left without outcome and re-runs on resume${workflowId === undefined ? '' : ` (ecl run … --id ${workflowId})`}.`,
    );
    void host.close().then(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (!interrupted) await host.close();
  }
}
