import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerProject, createConsumerProject, described, eclDependencyRange } from './support/consumerProject.js';
import { type PackedPackage, REPO, packedPackage } from './support/packedPackage.js';
import { TS_WORKFLOW } from './support/workflowFixtures.js';

/**
 * What the tarball holds, what installing it prints, and whether its types compile in a strict
 * consumer that checks every library's declarations (skipLibCheck false).
 */
let packed: PackedPackage;
let project: ConsumerProject;

/** Type-checked only, never run: one use of each entry point's main exports. */
const USES_EVERY_ENTRY_POINT = `import { type Engine, createEngine, createLogger, createMemoryArtifactStore, createMemoryEventStore, createOfflineProvider, createRegistry, isEngineError, Judgement } from 'ecl-workflows';
import { type RunningServer, loadWorkflowModules, startServer } from 'ecl-workflows/server';
import { type HistoryReplay, createTestEngine, ev, replayHistories, workflowSpec } from 'ecl-workflows/testing';
import { type RunResult, createApiClient, isApiClientError } from 'ecl-workflows/client';
import { greetings } from '../workflows/greeting.js';

export function embeddedEngine(): Engine {
  const logger = createLogger({ level: 'warn' });
  return createEngine({ store: createMemoryEventStore(), llm: createOfflineProvider(), artifacts: createMemoryArtifactStore(), logger, definitions: createRegistry(greetings) });
}

export async function served(): Promise<RunningServer> {
  const { registry } = await loadWorkflowModules(['workflows/greeting.ts']);
  return startServer({ definitions: registry, flags: { port: 0 } });
}

export async function called(url: string): Promise<RunResult | string> {
  const ecl = createApiClient({ baseUrl: url, apiKey: 'secret' });
  try {
    const result = await ecl.run({ definition: 'ts_greeting', input: { name: 'Ada' } }, { waitSeconds: 5 });
    return result.finished ? result : (await ecl.get(result.status.workflowId)).status;
  } catch (error) {
    return isApiClientError(error) ? error.code : 'unknown';
  }
}

export async function tested(): Promise<HistoryReplay[]> {
  const verdict: Judgement = Judgement.parse({ verdict: 'approve', feedback: 'Good.' });
  const spec = workflowSpec(greetings[0]!);
  spec.given(spec.started({}), ev.stepStarted('compose')).whenRecorded(ev.stepCompleted('compose', 1, 'Hello')).then([ev.stepCompleted('compose', 1, 'Hello'), ev.stepStarted('check')]);
  const ecl = createTestEngine({ definitions: greetings });
  try {
    const view = await ecl.run('ts_greeting', { name: verdict.feedback });
    return await replayHistories(greetings, [{ workflowId: view.workflowId, events: await ecl.history(view.workflowId) }]);
  } catch (error) {
    if (isEngineError(error)) throw new Error(error.code);
    throw error;
  } finally {
    await ecl.close();
  }
}
`;

const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  include: ['src', 'workflows', 'test'],
};

beforeAll(async () => {
  packed = await packedPackage();
  project = await createConsumerProject({
    name: 'types',
    packageJson: { name: 'strict-consumer', private: true, type: 'module' },
    files: {
      'tsconfig.json': JSON.stringify(STRICT_TSCONFIG, null, 2),
      'src/everything.ts': USES_EVERY_ENTRY_POINT,
      [TS_WORKFLOW.module]: TS_WORKFLOW.source,
      [TS_WORKFLOW.test.path]: TS_WORKFLOW.test.source,
    },
    dependencies: [
      packed.tarball,
      `zod@${eclDependencyRange('zod')}`,
      `typescript@${eclDependencyRange('typescript')}`,
      `@types/node@${eclDependencyRange('@types/node')}`,
    ],
  });
}, 400_000);

afterAll(() => project?.cleanup());

describe('the tarball', () => {
  const paths = () => packed.files.map((file) => file.path);

  it('holds the build, the bin, the templates, the docs and the LICENSE', () => {
    for (const path of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/ecl.js',
      'dist/cli/main.js',
      'dist/cli/init.js',
      'templates/init/package.template.json',
      'templates/init/gitignore',
      'templates/init/src/workflows.ts',
      'templates/init/test/workflow.test.ts',
    ]) {
      expect(paths()).toContain(path);
    }
  });

  it('holds every file package.json points at: bin and each exports target', () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = [
      ...Object.values(manifest.bin),
      ...Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
    ];
    for (const target of targets) expect(paths()).toContain(target.replace(/^\.\//, ''));
  });

  it('holds what every relative link of its Markdown points at (the examples the docs name included)', () => {
    const files = new Set(paths());
    const folders = new Set(
      [...files].flatMap((path) =>
        path
          .split('/')
          .slice(0, -1)
          .map((_part, index, parts) => parts.slice(0, index + 1).join('/')),
      ),
    );
    const broken: string[] = [];
    for (const file of files) {
      if (!file.endsWith('.md')) continue;
      for (const [, target] of readFileSync(join(REPO, file), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const path = (target as string).split('#')[0] as string;
        if (path === '' || /^[a-z]+:/.test(path)) continue;
        const resolved = posix.normalize(posix.join(posix.dirname(file), path)).replace(/\/$/, '');
        if (!files.has(resolved) && !folders.has(resolved)) broken.push(`${file} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
    expect(paths()).toContain('examples/fanout/fanout.ts');
  });

  it('holds no tests, benchmarks, CI, container or tool configuration', () => {
    const unwanted = paths().filter(
      (path) =>
        /^(test|bench|\.ci|\.github|src|node_modules)\//.test(path) ||
        /(^|\/)Dockerfile$/.test(path) ||
        /^(docker-compose\.ya?ml|vitest\.config\.ts|tsconfig(\.\w+)?\.json|eslint\.config\.\w+)$/.test(path) ||
        /^dist\/.*\.test\./.test(path) ||
        /\.tgz$/.test(path),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('a consumer project', () => {
  // The warning this guards against (cookie@2 wants Node 22) shows only on Node 20, the oldest Node ECL supports.
  it.runIf(process.versions.node.startsWith('20.'))('installs the tarball on Node 20 without an engine warning', () => {
    expect(`${project.install.stdout}\n${project.install.stderr}`).not.toMatch(/EBADENGINE|unsupported engine/i);
  });

  it('installs a manifest with no install-time script (npm 11 lists those for approval) that takes zod 4 as a peer, installed beside it', () => {
    const installed = JSON.parse(readFileSync(join(project.dir, 'node_modules', 'ecl-workflows', 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
      dependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(installed.scripts?.[script], script).toBeUndefined();
    expect(installed.peerDependencies?.zod).toMatch(/^\^4\./);
    expect(installed.dependencies.zod).toBeUndefined();
    const zod = JSON.parse(readFileSync(join(project.dir, 'node_modules', 'zod', 'package.json'), 'utf8')) as { version: string };
    expect(zod.version).toMatch(/^4\./);
    // The repo's own manifest keeps its build for a clone's `npm install`.
    expect((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prepare).toBe('npm run build');
  });

  it("type-checks strictly with skipLibCheck false: no error, and none in ECL's declarations", async () => {
    const tsc = await project.run(join(project.dir, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.']);
    const errors = tsc.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    // ECL's own declarations first (the package's fault), then any other (the fixture's or a dependency's).
    const inEcl = (line: string) => line.startsWith('node_modules/ecl-workflows/');
    expect([...errors.filter(inEcl), ...errors.filter((line) => !inEcl(line))], described(tsc)).toEqual([]);
    expect(tsc.code, described(tsc)).toBe(0);
  });
});
