import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from 'winston';
import type { AnyWorkflowDefinition, DefinitionRegistry } from '../machines/index.js';
import { type LoadedWorkflowModules, loadWorkflowModules } from './loadWorkflowModules.js';

export interface WatchedWorkflowModules {
  /** Always the latest good load, merged over the earlier ones (a version that disappeared stays, for the workflows it started). */
  readonly registry: DefinitionRegistry;
  /** Reloads now (the watcher calls this on a change); resolves to whether the new code was taken. */
  reload(): Promise<boolean>;
  close(): void;
}

const structureOf = (definition: AnyWorkflowDefinition) => JSON.stringify(definition.structure);

/** Why the new load cannot replace the current one: a version whose structure changed would fold its running workflows differently. */
function incompatibility(current: DefinitionRegistry, next: DefinitionRegistry): string | undefined {
  for (const definition of next.list()) {
    const old = current.get(definition.name, definition.version);
    if (old !== undefined && structureOf(old) !== structureOf(definition)) {
      const free = Math.max(...current.versions(definition.name), ...next.versions(definition.name)) + 1;
      return `the steps of ${definition.name} v${definition.version} changed: running workflows of that version would no longer fold; give the changed definition version ${free}`;
    }
  }
  return undefined;
}

/**
 * `ecl serve --watch`: loads the workflow modules, then reloads them (with everything they import)
 * when one of their files changes. New starts take the new code; a running workflow keeps the
 * version that started it. A module that fails to load, or a version whose steps changed without a
 * new version number, keeps the previous modules and logs why.
 */
export async function watchWorkflowModules(
  paths: readonly string[],
  options: { cwd?: string; logger: Logger; debounceMs?: number },
): Promise<WatchedWorkflowModules> {
  let loaded: LoadedWorkflowModules = await loadWorkflowModules(paths, { ...options, fresh: true });
  let current = loaded.registry;
  const registry: DefinitionRegistry = {
    register: (definition) => current.register(definition),
    get: (name, version) => current.get(name, version),
    names: () => current.names(),
    versions: (name) => current.versions(name),
    list: () => current.list(),
  };
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve(true);

  const watchFiles = () => {
    for (const file of new Set([...loaded.files, ...loaded.imported])) {
      if (watchers.has(file)) continue;
      try {
        watchers.set(file, watch(file, { persistent: false }, schedule));
      } catch (error) {
        options.logger.warn('Cannot watch a workflow module file', { file, reason: (error as Error).message });
      }
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), options.debounceMs ?? 100);
  };

  const reloadNow = async (): Promise<boolean> => {
    let next: LoadedWorkflowModules;
    try {
      next = await loadWorkflowModules(paths, { ...options, fresh: true });
    } catch (error) {
      options.logger.warn('Workflow modules not reloaded; the previous ones stay in use', { reason: (error as Error).message });
      return false;
    }
    const problem = incompatibility(current, next.registry);
    if (problem !== undefined) {
      options.logger.warn('Workflow modules not reloaded; the previous ones stay in use', { reason: problem });
      return false;
    }
    for (const definition of current.list()) if (next.registry.get(definition.name, definition.version) === undefined) next.registry.register(definition);
    loaded = next;
    current = next.registry;
    watchFiles();
    options.logger.info('Workflow modules reloaded', { definitions: current.list().map((definition) => `${definition.name}@${definition.version}`) });
    return true;
  };
  const reload = () => (reloading = reloading.then(reloadNow));

  watchFiles();
  return {
    registry,
    reload,
    close() {
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
