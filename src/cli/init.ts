import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { UsageError } from './usageError.js';

/** The scaffold ships in the package: `dist/cli/init.js` (and `src/cli/init.ts`) → `templates/init/`. */
const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/init/', import.meta.url));
const ECL_PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

/** The workflow the scaffold defines, for the next steps printed. */
const WORKFLOW = 'explain';

/**
 * Template files whose real name npm would not pack (`.gitignore` is dropped from tarballs) or that
 * tools would take for the package's own (a nested `package.json`).
 */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore', 'package.template.json': 'package.json' };

/** Entries that do not make a folder "not empty": a fresh `git init` is a fine place to start. */
const IGNORED_ENTRIES = new Set(['.git']);

interface InitOptions {
  force?: boolean;
}

/** An npm package name from a folder name: lower case, URL-safe, no leading dot or underscore. */
export function packageNameOf(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+/, '')
    .replace(/-+$/, '')
    .slice(0, 214);
  return name === '' ? 'ecl-workflows-project' : name;
}

/** The values the templates' `{{placeholders}}` take: the project's name and the versions ECL itself is built with. */
function placeholdersFor(name: string): Record<string, string> {
  const ecl = JSON.parse(readFileSync(ECL_PACKAGE_JSON, 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const specs = Object.entries({ ...ecl.devDependencies, ...ecl.peerDependencies, ...ecl.dependencies });
  // A dependency may be installed under another name (`"@typescript/native": "npm:typescript@^7"`) while its own name holds another package.
  const rangeOf = (dependency: string): string => {
    const direct = specs.find(([key, spec]) => key === dependency && !spec.startsWith('npm:'))?.[1];
    const aliased = specs.find(([, spec]) => spec.startsWith(`npm:${dependency}@`))?.[1]?.slice(`npm:${dependency}@`.length);
    const range = direct ?? aliased;
    if (range === undefined) throw new Error(`ECL's package.json names no version of ${dependency} for the scaffold`);
    return range;
  };
  return {
    name,
    eclVersion: ecl.version,
    zodVersion: rangeOf('zod'),
    tsxVersion: rangeOf('tsx'),
    typescriptVersion: rangeOf('typescript'),
    typesNodeVersion: rangeOf('@types/node'),
  };
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? templateFiles(path) : [path];
  });
}

const fill = (text: string, values: Record<string, string>, file: string): string =>
  text.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`Template ${file} uses an unknown placeholder {{${key}}}`);
    return value;
  });

/**
 * Writes the scaffold into `target` (created if missing). Refuses a folder that holds anything
 * but `.git`, unless `force`: then the scaffold's files are overwritten and nothing else is touched.
 * Returns the package name and the files written, relative to `target`.
 */
export function scaffoldProject(target: string, options: InitOptions = {}): { name: string; files: string[] } {
  const dir = resolve(target);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`ecl init: ${target} is a file, not a folder`);
    const entries = readdirSync(dir).filter((entry) => !IGNORED_ENTRIES.has(entry));
    if (entries.length > 0 && options.force !== true) {
      const sample = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
      throw new UsageError(
        `ecl init: ${target} is not empty (${sample}). Choose a new or empty folder, or pass --force to write the scaffold into it (its files overwrite those of the same name).`,
      );
    }
  }
  const name = packageNameOf(basename(dir));
  const values = placeholdersFor(name);
  const files: string[] = [];
  for (const source of templateFiles(TEMPLATE_DIR)) {
    const path = relative(TEMPLATE_DIR, source);
    const renamed = join(dirname(path), RENAMED[basename(path)] ?? basename(path));
    const destination = join(dir, renamed);
    mkdirSync(dirname(destination), { recursive: true });
    // 'wx' without --force: a file that appeared since the check above is never overwritten.
    writeFileSync(destination, fill(readFileSync(source, 'utf8'), values, path), { flag: options.force === true ? 'w' : 'wx' });
    files.push(renamed.split('\\').join('/'));
  }
  return { name, files: files.sort() };
}

/** `ecl init [dir]`: a project with one workflow, its test and the config `ecl` reads. */
export function initCommand(): Command {
  return new Command('init')
    .description('Create a workflow project: package.json, a workflow in src/workflows.ts, its test, ecl.config.json')
    .argument('[dir]', 'folder for the project (created if missing; default: the current folder)', '.')
    .option('--force', 'write into a folder that is not empty, overwriting files of the same name')
    .action((dir: string, options: InitOptions) => {
      const { name, files } = scaffoldProject(dir, options);
      const where = relative(process.cwd(), resolve(dir));
      console.log(`Created ${name} in ${where === '' ? 'the current folder' : where}: ${files.join(', ')}`);
      console.log('');
      console.log('Next:');
      if (where !== '') console.log(`  cd ${/[\s'"]/.test(where) ? JSON.stringify(where) : where}`);
      const steps: Array<[string, string]> = [
        ['npm install', ''],
        ['npm test', 'the workflow on a test engine, with the offline model'],
        [`npx ecl run ${WORKFLOW} --follow`, 'run it; recorded in ./.ecl/ecl.db'],
        ['npx ecl serve', 'the HTTP API on http://127.0.0.1:3000'],
      ];
      for (const [command, note] of steps) console.log(note === '' ? `  ${command}` : `  ${command.padEnd(30)}# ${note}`);
    });
}
