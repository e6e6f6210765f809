import { stripVTControlCharacters } from 'node:util';
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnyWorkflowDefinition, type DefinitionRegistry, createRegistry, isWorkflowDefinition } from '../machines/index.js';
import { WorkflowModuleError } from './workflowModuleError.js';

/** Options of {@link loadWorkflowModules}. */
export interface LoadWorkflowModulesOptions {
  /** Relative module paths are taken from here (default: the current directory). */
  cwd?: string;
  /**
   * Import every module afresh, with everything it imports, and report each local file the import
   * read (for `ecl serve --watch`). Needs tsx, also for JavaScript modules.
   */
  fresh?: boolean;
}

/** What {@link loadWorkflowModules} found. */
export interface LoadedWorkflowModules {
  /** Every version of every definition the modules export: pass it as `EngineOptions.definitions` or `StartServerOptions.definitions`. */
  registry: DefinitionRegistry;
  /** `name@version` → the module file that exports it. */
  sources: ReadonlyMap<string, string>;
  /** The module files, absolute. */
  files: readonly string[];
  /** Every local file the modules imported (only with `fresh`). */
  imported: readonly string[];
}

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

let tsxRegistered: Promise<void> | undefined;

/**
 * tsx is loaded only when a module is TypeScript: JavaScript users never pay for it. Both its hooks:
 * a `.ts` file in a package without `"type": "module"` (what `npm init` makes) is CommonJS to Node.
 */
const registerTsx = (): Promise<void> =>
  (tsxRegistered ??= Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => {
    esm.register();
    cjs.register();
  }));

async function importModule(file: string, options: LoadWorkflowModulesOptions, imported: Set<string>): Promise<Record<string, unknown>> {
  if (options.fresh === true) {
    const { tsImport } = await import('tsx/esm/api');
    const onImport = (url: string) => {
      if (url.startsWith('file:') && !url.includes('/node_modules/')) imported.add(new URL(url).pathname);
    };
    return (await tsImport(pathToFileURL(file).href, { parentURL: import.meta.url, onImport })) as Record<string, unknown>;
  }
  if (TYPESCRIPT.test(file)) await registerTsx();
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** Every definition a module exports, alone or in an array, under any export name. */
function definitionsOf(exports: Record<string, unknown>): AnyWorkflowDefinition[] {
  const found = new Set<AnyWorkflowDefinition>();
  const collect = (values: unknown[]) => {
    for (const value of values) for (const item of Array.isArray(value) ? value : [value]) if (isWorkflowDefinition(item)) found.add(item);
  };
  collect(Object.values(exports));
  // A module of a CommonJS package (no "type": "module"): its exports are the namespace's `default`.
  const commonJs = exports.default;
  if (typeof commonJs === 'object' && commonJs !== null && !Array.isArray(commonJs) && !isWorkflowDefinition(commonJs)) collect(Object.values(commonJs));
  return [...found];
}

/** The exports of a module that hold a definition of the same name and version as `definition` (alone or in an array). */
function exportsNaming(exports: Record<string, unknown>, definition: AnyWorkflowDefinition): string[] {
  const same = (item: unknown) => isWorkflowDefinition(item) && item.name === definition.name && item.version === definition.version;
  return Object.entries(exports)
    .filter(([, value]) => (Array.isArray(value) ? value.some(same) : same(value)))
    .map(([name]) => name);
}

/** What went wrong, with the lines that say where (a compile error names the file, line and column on its next lines). */
const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const lines = stripVTControlCharacters(error.message)
    .split('\n')
    .filter((line) => line.trim() !== '');
  const shownLines = lines.slice(0, 6);
  return [...shownLines, ...(lines.length > shownLines.length ? [`… and ${lines.length - shownLines.length} more lines`] : [])].join('\n  ');
};

/**
 * Imports the workflow modules (`.js`, `.mjs` or `.ts`) and registers every definition they export,
 * with every version. Throws a {@link WorkflowModuleError} naming the file and the reason when a
 * module is missing, throws on import, exports no definition, or exports a name and version that
 * another export already holds. Nothing is registered unless every module loads.
 */
export async function loadWorkflowModules(paths: readonly string[], options: LoadWorkflowModulesOptions = {}): Promise<LoadedWorkflowModules> {
  const cwd = options.cwd ?? process.cwd();
  const registry = createRegistry();
  const sources = new Map<string, string>();
  const imported = new Set<string>();
  const files = [...new Set(paths.map((path) => (isAbsolute(path) ? path : resolve(cwd, path))))];
  const shown = (file: string) => relative(cwd, file) || file;
  for (const file of files) {
    if (!existsSync(file)) throw new WorkflowModuleError('MODULE_NOT_FOUND', file, `Workflow module ${shown(file)}: no such file`);
    let exports: Record<string, unknown>;
    try {
      exports = await importModule(file, options, imported);
    } catch (error) {
      throw new WorkflowModuleError('MODULE_FAILED', file, `Workflow module ${shown(file)} failed to load: ${describe(error)}`);
    }
    const definitions = definitionsOf(exports);
    if (definitions.length === 0) {
      throw new WorkflowModuleError(
        'NO_DEFINITIONS',
        file,
        `Workflow module ${shown(file)} exports no workflow definition (export what defineWorkflow returns, alone or in an array)`,
      );
    }
    for (const definition of definitions) {
      const key = `${definition.name}@${definition.version}`;
      const other = sources.get(key);
      // The same definition re-exported by another module (v1 kept beside v2) is registered once.
      if (other !== undefined && registry.get(definition.name, definition.version) === definition) continue;
      if (other !== undefined) {
        const where =
          other === file ? `in ${shown(file)} (exports ${exportsNaming(exports, definition).join(' and ')})` : `in ${shown(other)} and in ${shown(file)}`;
        throw new WorkflowModuleError(
          'DUPLICATE_DEFINITION',
          file,
          `Workflow ${definition.name} v${definition.version} is defined twice: ${where} (give one of them another name or version)`,
        );
      }
      sources.set(key, file);
      registry.register(definition);
    }
  }
  return { registry, sources, files, imported: [...imported] };
}
