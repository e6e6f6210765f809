import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, runEcl, tempFolder } from './cliHarness.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/versions/greeting.ts');
const EDITED = resolve(import.meta.dirname, 'fixtures/greetingEdited.ts');

let dir: string;
let cleanup: () => void;
/** One workflow module per deployment: v1 alone, then v1 and v2, then v2 alone (v1 retired too early). */
const modules = { v1: '', both: EXAMPLE, v2: '', edited: EDITED };
beforeAll(() => {
  ({ dir, cleanup } = tempFolder());
  for (const version of ['v1', 'v2'] as const) {
    modules[version] = join(dir, `${version}only.mts`);
    writeFileSync(modules[version], `export { greeting${version.toUpperCase()} } from ${JSON.stringify(EXAMPLE)};\n`);
  }
});
afterAll(() => {
  killChildren();
  cleanup();
});

const ecl = (deployed: keyof typeof modules, ...args: string[]) =>
  runEcl([...args, '--store', `sqlite:${join(dir, 'ecl.db')}`], { cwd: dir, env: { ECL_WORKFLOWS: modules[deployed] } });
const engineFlags = () => ['--artifacts', join(dir, 'artifacts'), '--llm', 'offline'];

describe('ecl with two versions of one definition', () => {
  it('a v1 workflow waiting at a gate finishes on v1 after v2 is deployed; ecl run takes the newest, or the --definition-version given', async () => {
    const old = await ecl('v1', 'run', 'greeting', '--input', '{"name":"Ada","approval":true}', '--id', 'old', '--follow', ...engineFlags());
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/workflow\s+started\s+greeting v1/);

    const listed = await runEcl(['definitions'], { cwd: dir, env: { ECL_WORKFLOWS: modules.both } });
    expect(listed.stdout).toContain('greeting v1 — ');
    expect(listed.stdout).toContain('steps:  draft (produce) → polish (produce) → approval (approval) → publish (produce)');

    const approved = await ecl('both', 'send', 'old', 'APPROVE', '--follow', ...engineFlags());
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/publish\s+#1\s+done/);
    expect(approved.stdout).not.toMatch(/polish/);

    const fresh = await ecl('both', 'run', 'greeting', '--id', 'fresh', '--follow', ...engineFlags());
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/workflow\s+started\s+greeting v2/);
    expect(fresh.stdout).toMatch(/polish\s+#1\s+done/);

    const pinned = await ecl('both', 'run', 'greeting', '--definition-version', '1', '--id', 'pinned', '--follow', ...engineFlags());
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toMatch(/workflow\s+started\s+greeting v1/);

    // Asking an existing v1 workflow for v2 resumes it on v1, and says so.
    const again = await ecl('both', 'run', 'greeting', '--definition-version', '2', '--id', 'pinned', ...engineFlags());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      'Already completed: greeting v1 (revision 5); not v2: a workflow keeps the version that started it (--definition-version applies to new ids)',
    );
  });

  it('refuses an unregistered or malformed --definition-version (exit 2, nothing written), and names the version a stored workflow needs', async () => {
    const unknown = await ecl('both', 'run', 'greeting', '--definition-version', '3', '--id', 'v3', ...engineFlags());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('Unknown version 3 of workflow definition "greeting". Registered: v1, v2');
    expect(unknown.stdout).toBe('');
    const malformed = await ecl('both', 'run', 'greeting', '--definition-version', '1.5', ...engineFlags());
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--definition-version <n>' argument '1\.5' is invalid/);

    // v1 retired while a v1 workflow is still stored: replay says which version to register again.
    const replay = await ecl('v2', 'replay', 'old');
    expect(replay.code).toBe(1);
    expect(replay.stderr.trim()).toBe('Workflow old was written by greeting v1, which is not registered: register that version to replay it');
    // With no module loaded at all, it says so rather than only naming the version.
    const bare = await runEcl(['replay', 'old', '--verify', '--store', `sqlite:${join(dir, 'ecl.db')}`], { cwd: dir, env: { ECL_WORKFLOWS: '' } });
    expect(bare.code).toBe(1);
    expect(bare.stderr.trim()).toBe(
      'Workflow old was written by greeting v1, which is not registered: register that version to replay it (no workflow module is loaded: --workflows <module>, "workflows" in ecl.config.json or ECL_WORKFLOWS)',
    );
  });

  it('before retiring v1, ecl list finds its unfinished workflows; retired too early, they show as blocked', async () => {
    const stuck = await ecl('v1', 'run', 'greeting', '--input', '{"approval":true}', '--id', 'stuck', ...engineFlags());
    expect(stuck.code).toBe(1);
    const rows = async (deployed: keyof typeof modules, ...filters: string[]) => {
      const listed = await ecl(deployed, 'list', '--definition', 'greeting', '--json', ...filters);
      expect(listed.code).toBe(0);
      const { items } = JSON.parse(listed.stdout) as { items: Array<{ workflowId: string; version: number; status: string }> };
      return items.map((item) => `${item.workflowId} v${item.version} ${item.status}`).sort();
    };
    expect(await rows('both')).toEqual(['fresh v2 completed', 'old v1 completed', 'pinned v1 completed', 'stuck v1 waiting']);
    expect(await rows('both', '--status', 'waiting')).toEqual(['stuck v1 waiting']);
    expect(await rows('v2', '--status', 'blocked')).toEqual(['stuck v1 blocked']);
    // With no module loaded the command cannot judge what runs: nothing shows as blocked.
    const bare = await runEcl(['list', '--definition', 'greeting', '--json', '--store', `sqlite:${join(dir, 'ecl.db')}`], {
      cwd: dir,
      env: { ECL_WORKFLOWS: '' },
    });
    expect(bare.code, bare.stderr).toBe(0);
    expect(
      (JSON.parse(bare.stdout) as { items: Array<{ workflowId: string; status: string }> }).items.find((item) => item.workflowId === 'stuck')?.status,
    ).toBe('waiting');
    // ...and asked for blocked ones, it says why it shows none rather than a bare "No workflows.".
    const noneBlocked = await runEcl(['list', '--status', 'blocked', '--store', `sqlite:${join(dir, 'ecl.db')}`], { cwd: dir, env: { ECL_WORKFLOWS: '' } });
    expect(noneBlocked.stdout.trim()).toBe(
      'No workflows. Blocked means no loaded definition can run it: with no workflow modules loaded, none is shown as blocked (pass --workflows <module>).',
    );

    // A command to it, or resuming it, is refused as the caller's to fix (exit 2), saying what to load.
    const hint =
      'Workflow stuck was written by greeting v1, which is not registered: it is blocked until a command loads the module that exports that version (--workflows <module>, "workflows" in ecl.config.json or ECL_WORKFLOWS)';
    const send = await ecl('v2', 'send', 'stuck', 'APPROVE', ...engineFlags());
    expect(send.code).toBe(2);
    expect(send.stderr.trim().split('\n').at(-1)).toBe(hint);
    const resume = await ecl('v2', 'run', 'greeting', '--id', 'stuck', ...engineFlags());
    expect(resume.code).toBe(2);
    expect(resume.stderr.trim().split('\n').at(-1)).toBe(hint);
    expect(await rows('both', '--status', 'waiting')).toEqual(['stuck v1 waiting']);
  });

  it('ecl replay --all checks every stored workflow against the definitions about to be deployed', async () => {
    const kept = await ecl('both', 'replay', '--all');
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toBe('');
    expect(kept.stderr).toMatch(/^Replaying every workflow in sqlite:\S+ecl\.db with greeting v1, greeting v2\n/);
    expect(kept.stderr).toMatch(/\nverified: 4 of 4 workflows reproduce their recorded history \(\d+ events; greeting v1: 3, greeting v2: 1\)\n$/);

    // v1 edited in place (and v2 not loaded): every v1 history diverges, each named; the finished v2 one is listed.
    const edited = await ecl('edited', 'replay', '--all');
    expect(edited.code).toBe(1);
    const listed = edited.stdout.trim().split('\n');
    expect(listed.map((line) => line.split(/\s+/).slice(0, 4).join(' ')).sort()).toEqual([
      'diverges old greeting v1:',
      'diverges pinned greeting v1:',
      'diverges stuck greeting v1:',
      'retired fresh greeting v2:',
    ]);
    expect(listed.find((line) => line.startsWith('diverges'))).toMatch(/: revision \d+: /);
    expect(edited.stderr).toMatch(
      /\nnot verified: 0 of 4 workflows .*\n3 cannot be replayed with these definitions \(listed above\)\n1 finished workflow\(s\) of a version no longer registered/,
    );

    // v1 dropped: its finished workflows are listed (only a replay needs v1), its waiting one fails the check.
    const dropped = await ecl('v2', 'replay', '--all', '--json');
    expect(dropped.code).toBe(1);
    const verdict = JSON.parse(dropped.stdout) as { verified: boolean; workflows: number; byVersion: object; problems: object[] };
    expect(verdict).toMatchObject({ verified: false, workflows: 4, byVersion: { 'greeting v2': 1 } });
    expect(verdict.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workflowId: 'stuck', definition: 'greeting', version: 1, finished: false, problem: 'not_registered' }),
        expect.objectContaining({ workflowId: 'old', finished: true, problem: 'not_registered' }),
      ]),
    );
    const text = await ecl('v2', 'replay', '--all');
    expect(text.stdout).toMatch(/^blocked {4}stuck {2}greeting v1: not registered \(unfinished: it waits for a worker that has that version\)$/m);
    expect(text.stdout).toMatch(/^retired {4}old {2}greeting v1: not registered \(finished: only a replay of it needs that version\)$/m);

    const neither = await ecl('both', 'replay');
    expect(neither.code).toBe(2);
    expect(neither.stderr.trim()).toBe('ecl replay: give a workflow id, or --all for every workflow');
    const both = await ecl('both', 'replay', 'old', '--all');
    expect(both.code).toBe(2);
    const noModules = await runEcl(['replay', '--all', '--store', `sqlite:${join(dir, 'ecl.db')}`], { cwd: dir, env: { ECL_WORKFLOWS: '' } });
    expect(noModules.code).toBe(2);
    expect(noModules.stderr).toMatch(/^ecl replay --all checks the stored workflows against the definitions you deploy: load them with --workflows/);
    const typo = join(dir, 'ecl-typo.db');
    const missing = await runEcl(['replay', '--all', '--store', `sqlite:${typo}`], { cwd: dir, env: { ECL_WORKFLOWS: modules.both } });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`ecl replay: no store at ${typo} (--store, ECL_STORE)`);
    expect(existsSync(typo)).toBe(false);

    // A check that verified nothing fails: an empty store, or one whose workflows no loaded version wrote.
    const other = `sqlite:${join(dir, 'other.db')}`;
    expect((await runEcl(['list', '--store', other], { cwd: dir, env: { ECL_WORKFLOWS: modules.both } })).code).toBe(0);
    const empty = await runEcl(['replay', '--all', '--store', other], { cwd: dir, env: { ECL_WORKFLOWS: modules.both } });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('\nnot verified: 0 of 0 workflows reproduce their recorded history (0 events)\nNo workflow is recorded in ');
    expect((await runEcl(['run', 'serial3', '--store', other, ...engineFlags()], { cwd: dir })).code).toBe(0);
    const unrelated = await runEcl(['replay', '--all', '--store', other], { cwd: dir, env: { ECL_WORKFLOWS: modules.both } });
    expect(unrelated.code).toBe(1);
    expect(unrelated.stdout).toMatch(/^retired +\S+ +serial3 v1: not registered/);
    expect(unrelated.stderr).toContain('None was written by a loaded definition version: are these the modules you deploy?');

    const timeTravel = await ecl('both', 'replay', '--all', '--to', '2');
    expect(timeTravel.stderr.trim()).toBe('ecl replay --all verifies whole histories: --to and --inspect are for one workflow');
  });
});
