import type { AnyWorkflowDefinition } from './workflowSpec.js';

/**
 * Every version of every definition. New workflows start on the latest version; a running or
 * replayed workflow uses the version that wrote its stream.
 */
export interface DefinitionRegistry {
  /**
   * Adds a definition. Registering the same object again is a no-op; another definition under a
   * name and version already registered throws an `Error` (bump the version to change a definition).
   */
  register(definition: AnyWorkflowDefinition): void;
  /** The definition of `name` at `version`, the latest version when `version` is omitted, or undefined. */
  get(name: string, version?: number): AnyWorkflowDefinition | undefined;
  /** Every registered name, sorted. */
  names(): string[];
  /** The registered versions of `name`, ascending (empty when unknown). */
  versions(name: string): number[];
  /** Every registered definition, every version. */
  list(): AnyWorkflowDefinition[];
}

/**
 * A registry holding `definitions` (registered in order; see {@link DefinitionRegistry.register}
 * for what throws). Keep every version a stored workflow may name: a stream is always folded and
 * driven by the version that started it.
 */
export function createRegistry(definitions: readonly AnyWorkflowDefinition[] = []): DefinitionRegistry {
  const byName = new Map<string, Map<number, AnyWorkflowDefinition>>();
  const registry: DefinitionRegistry = {
    register(definition) {
      const versions = byName.get(definition.name) ?? new Map<number, AnyWorkflowDefinition>();
      const existing = versions.get(definition.version);
      if (existing !== undefined && existing !== definition) {
        throw new Error(`Definition ${definition.name} v${definition.version} is already registered; bump the version to change it`);
      }
      versions.set(definition.version, definition);
      byName.set(definition.name, versions);
    },
    get(name, version) {
      const versions = byName.get(name);
      if (versions === undefined) return undefined;
      if (version !== undefined) return versions.get(version);
      return versions.get(Math.max(...versions.keys()));
    },
    names: () => [...byName.keys()].sort(),
    versions: (name) => [...(byName.get(name)?.keys() ?? [])].sort((a, b) => a - b),
    list: () => [...byName.values()].flatMap((versions) => [...versions.values()]),
  };
  for (const definition of definitions) registry.register(definition);
  return registry;
}
