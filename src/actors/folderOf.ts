import { type AnyWorkflowDefinition, type Folder, createFolder } from '../machines/index.js';

const folders = new WeakMap<AnyWorkflowDefinition, Folder>();

/** One folder (and its inert actor scope) per definition version, shared by all its workflows. */
export function folderOf(definition: AnyWorkflowDefinition): Folder {
  let folder = folders.get(definition);
  if (folder === undefined) {
    folder = createFolder(definition.machine);
    folders.set(definition, folder);
  }
  return folder;
}
