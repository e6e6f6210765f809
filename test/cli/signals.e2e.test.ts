import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from './cliHarness.js';

/** The workflow module with a retried step, a 300 ms sleep, the `payment` signal and a route loop. */
const INVOICE = resolve(import.meta.dirname, 'fixtures/invoice.ts');
/** A reply signal, then a sleep as long as the input says. */
const FOLLOW_UP = resolve(import.meta.dirname, 'fixtures/followUp.ts');

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempFolder());
});
afterAll(() => {
  killChildren();
  cleanup();
});

const store = () => `sqlite:${join(dir, 'ecl.db')}`;
const ecl = (...args: string[]) => runEcl([...args, '--store', store()], { cwd: dir, env: { ECL_WORKFLOWS: INVOICE } });
async function rawStream(id: string): Promise<string> {
  const opened = await openEventStore(store());
  try {
    return JSON.stringify(await opened.readStream(workflowStream(id)), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } finally {
    await opened.close();
  }
}

describe('ecl run, status, send and audit with retries, sleeps, signals and routes', () => {
  it('run --follow prints the retry, the sleep and the wait, then the hint to send the signal (exit 1)', async () => {
    const run = await ecl('run', 'invoice', '--input', '{"customer":"Ada","signOff":true}', '--id', 'inv-1', '--follow');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/bill +#1 +retrying +attempt 1 failed \(BUSY: billing service busy\); retrying at \d{4}-\d\d-\d\dT/);
    expect(run.stdout).toMatch(/bill +#1 +started +attempt 2 \(retry\)/);
    expect(run.stdout).toMatch(/grace +sleeping +until \d{4}-/);
    expect(run.stdout).toMatch(/grace +woke +\(timer, due /);
    expect(run.stdout).toMatch(/paid +waiting +for signal payment until \S+ \[payment, CANCEL\]/);
    expect(run.stdout).toMatch(
      /Waiting for signal payment at paid\.waiting until \S+: payment, CANCEL\n {2}e\.g\. ecl send inv-1 payment --data '\{"amount": …, "currency": …\}'/,
    );
  });

  it('run --follow of an existing id with the same --input resumes it without printing its history again', async () => {
    const again = await ecl('run', 'invoice', '--input', '{"customer":"Ada","signOff":true}', '--id', 'inv-1', '--follow');
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/^Resuming invoice v1 at paid\.waiting \(revision \d+\)$/m);
    expect(again.stdout).not.toMatch(/workflow +started|bill +#1|grace +sleeping/);
  });

  it('resumed with --follow after its signal timed out meanwhile, the run says where it found the workflow before what recovery did', async () => {
    const first = await ecl('run', 'invoice', '--input', '{"customer":"Bo","graceMs":0,"patienceMs":300}', '--id', 'late-1');
    expect(first.code, first.stderr).toBe(1);
    const { waitingFor } = JSON.parse((await ecl('status', 'late-1', '--json')).stdout) as { waitingFor: { timeoutAt: string } };
    while (Date.now() <= Date.parse(waitingFor.timeoutAt)) await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
    const resumed = await ecl('run', 'invoice', '--id', 'late-1', '--follow');
    const lines = resumed.stdout.split('\n');
    const found = lines.findIndex((line) => /^Resuming invoice v1 at paid\.waiting \(revision \d+\)$/.test(line));
    expect(found, resumed.stdout).toBeGreaterThan(0);
    expect(lines[found - 1]).toBe('Workflow late-1');
    // Every transition line (the timeout firing, the workflow ending) comes after it.
    expect(lines.slice(0, found).filter((line) => /^\s*paid\b/.test(line))).toEqual([]);
    expect(lines.slice(found + 1).some((line) => /^\s*paid\b/.test(line))).toBe(true);
    // What was recorded before the resume is not printed again (a fan-out's thousands of items, say).
    expect(resumed.stdout).not.toMatch(/workflow +started|bill +#1 +done/);
  });

  it('status shows what it waits for (the signal, its timeout), what it accepts and the deadline', async () => {
    const status = await ecl('status', 'inv-1');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^inv-1 {2}invoice v1 {2}waiting for signal payment \(until \d{4}-\S+\)\n/);
    expect(status.stdout).toMatch(/\n {2}accepts +payment, CANCEL\n/);
    expect(status.stdout).toMatch(/\n {2}deadline +\d{4}-\S+ \(then fail\)\n/);
    const json = JSON.parse((await ecl('status', 'inv-1', '--json')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ status: 'waiting', accepts: ['payment', 'CANCEL'], waitingFor: { step: 'paid', kind: 'signal', signal: 'payment' } });
    const table = await ecl('status');
    expect(table.stdout).toMatch(/inv-1 +invoice v1 +waiting +paid \(signal payment\)/);
  });

  it('bad signal data, an unknown signal and --note without APPROVE exit 2 and leave the stream unchanged', async () => {
    const before = await rawStream('inv-1');
    const bad = await ecl('send', 'inv-1', 'payment', '--data', '{"amount":-3,"currency":"EUR"}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid data for signal payment: amount: /);
    const other = await ecl('send', 'inv-1', 'refund', '--data', '{}');
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toBe('Workflow "invoice" has no signal step waiting for "refund"; its signals: payment');
    // Not a command nor a signal name: refused as typed (only the four command names are upper-cased).
    const bogus = await ecl('send', 'inv-1', 'Bogus!');
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('Unknown command "Bogus!"');
    const note = await ecl('send', 'inv-1', 'payment', '--note', 'hi');
    expect(note.code).toBe(2);
    expect(note.stderr).toMatch(/--note goes with APPROVE only/);
    const twice = await ecl('send', 'inv-1', 'APPROVE', '--note', 'hi', '--data', '{"note":"ho"}');
    expect(twice.code).toBe(2);
    expect(twice.stderr.trim()).toBe('Give the note once: --note, or "note" in --data, not both');
    expect(await rawStream('inv-1')).toBe(before);
  });

  it('send <id> payment --data @file moves it on: the route loops once; APPROVE --note completes it (exit 0); audit tells the story', async () => {
    writeFileSync(join(dir, 'payment.json'), '{"amount": 12.5, "currency": "EUR"}');
    const sent = await ecl('send', 'inv-1', 'payment', '--data', '@payment.json', '--follow', '--idempotency-key', 'pay-inv-1');
    expect(sent.code, sent.stderr).toBe(1);
    expect(sent.stdout).toMatch(/Signal payment accepted: inv-1 is now/);
    // --follow shows what the signal caused, not the history before it.
    expect(sent.stdout).not.toMatch(/workflow +started|bill +#1|grace +sleeping/);
    // Sent again with its key (a script retrying after a lost answer): the first recording, nothing new.
    const resent = await ecl('send', 'inv-1', 'payment', '--data', '@payment.json', '--idempotency-key', 'pay-inv-1');
    expect(resent.stdout).toMatch(/^Signal payment was recorded before with this idempotency key \(revision 8\): inv-1 is now sign\.waiting$/m);
    expect(sent.stdout).toMatch(/paid +signal +payment \{"amount":12\.5,"currency":"EUR"\} \(by cli\)/);
    expect(sent.stdout).toMatch(/again +route +→ check \(loops so far: 1\)/);
    expect(sent.stdout).toMatch(/Waiting for a person at sign\.waiting \(approval\): APPROVE, REJECT, CANCEL\n {2}e\.g\. ecl send inv-1 APPROVE/);
    const approved = await ecl('send', 'inv-1', 'APPROVE', '--note', 'matches the bank statement');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/Completed inv-1/);
    const audit = await ecl('audit', 'inv-1');
    expect(audit.code, audit.stderr).toBe(0);
    const lines = audit.stdout.split('\n');
    for (const expected of [
      /r2 +bill attempt 1 failed: BUSY: billing service busy — retry at \d{4}-\S+$/,
      /r3 +bill started \(attempt 2\)$/,
      /r5 +grace sleeps until \d{4}-\S+$/,
      /r6 +grace woke: slept until \d{4}-\S+ {2}\[timer\]$/,
      /r7 +paid waits for signal payment until \d{4}-\S+$/,
      /r8 +signal payment received at paid: \{"amount":12\.5,"currency":"EUR"\} {2}\[cli\]$/,
      /route again chose check \(loops so far: 1\)$/,
      /route again chose receipt \(loops so far: 1\)$/,
      /human decided approve at sign, note: "matches the bank statement" {2}\[cli\]$/,
      /completed: received 12\.5 EUR$/,
    ])
      expect(
        lines.some((line) => expected.test(line)),
        `${expected}\n${audit.stdout}`,
      ).toBe(true);
    const status = await ecl('status', 'inv-1');
    expect(status.stdout).toMatch(/^inv-1 {2}invoice v1 {2}completed\n/);
    expect(status.stdout).toMatch(/\n {2}reason +human decision at sign: approve \(matches the bank statement\)\n/);
    expect(status.stdout).not.toMatch(/accepts/);
  });

  it('send announces the sleep it waits through; Ctrl-C during a sleep says nothing was in flight and when it wakes', async () => {
    const env = { ECL_WORKFLOWS: FOLLOW_UP };
    const withStore = (...args: string[]) => [...args, '--store', store()];
    const first = await runEcl(withStore('run', 'followUp', '--input', '{"pauseMs":200}', '--id', 'fu-1'), { cwd: dir, env });
    expect(first.stdout, first.stderr).toMatch(/Waiting for signal reply at reply\.waiting/);
    const sent = await runEcl(withStore('send', 'fu-1', 'reply', '--data', '{"text":"thanks"}'), { cwd: dir, env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/Signal reply accepted: fu-1 is now /);
    expect(sent.stdout).toMatch(
      /Sleeping at pause until \d{4}-\S+ \(Ctrl-C stops; it wakes then in whichever engine runs it: ecl serve, ecl worker, or ecl run … --id fu-1\)/,
    );
    // In the order it happened: accepted, then the sleep the signal led to.
    expect(sent.stdout.indexOf('Signal reply accepted')).toBeLessThan(sent.stdout.indexOf('Sleeping at pause'));
    expect(sent.stdout).toMatch(/Completed fu-1/);

    await runEcl(withStore('run', 'followUp', '--input', '{"pauseMs":600000}', '--id', 'fu-2'), { cwd: dir, env });
    const long = startEcl(withStore('send', 'fu-2', 'reply', '--data', '{"text":"later"}'), { cwd: dir, env });
    await waitFor(() => long.output().includes('Sleeping at pause'), long.child, 'the sleep announced');
    process.kill(long.child.pid as number, 'SIGINT');
    const stopped = await long.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(
      /Stopping: nothing was in flight; fu-2 wakes at \d{4}-\S+ in whichever engine runs it then \(ecl serve, ecl worker, or ecl run … --id fu-2\)\./,
    );
    expect(stopped.stderr).not.toMatch(/step in flight/);
  });

  it('run --id without --input resumes the workflow with its recorded input; one of another definition is refused', async () => {
    const env = { ECL_WORKFLOWS: [FOLLOW_UP, INVOICE].join(',') };
    const withStore = (...args: string[]) => [...args, '--store', store()];
    const first = await runEcl(withStore('run', 'followUp', '--input', '{"pauseMs":600000}', '--id', 'fu-3'), { cwd: dir, env });
    expect(first.code, first.stderr).toBe(1);
    const resumed = await runEcl(withStore('run', 'followUp', '--id', 'fu-3'), { cwd: dir, env });
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stdout).toMatch(/Resuming followUp v1 at reply\.waiting/);
    expect(resumed.stdout).toMatch(/Waiting for signal reply at reply\.waiting/);
    const other = await runEcl(withStore('run', 'invoice', '--id', 'fu-3'), { cwd: dir, env });
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toBe('Workflow fu-3 is a followUp workflow, not invoice');
    // No workflow under the id: --input is still needed (the default {} is not a followUp input).
    const fresh = await runEcl(withStore('run', 'followUp', '--id', 'fu-none'), { cwd: dir, env });
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toMatch(
      /^No workflow fu-none is recorded to resume, so it was started with the input \{\}, which is refused:\nInvalid input for followUp v1:\n {2}pauseMs: /,
    );
    expect(fresh.stderr.trim()).toMatch(/\nPass --input to start it\.$/);
  });

  it('a run without --follow announces its sleep, so the wait does not look like a hang', async () => {
    const run = await ecl('run', 'invoice', '--input', '{"customer":"Bo","graceMs":200}', '--id', 'inv-2');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(
      /Sleeping at grace until \d{4}-\S+ \(Ctrl-C stops; it wakes then in whichever engine runs it: ecl serve, ecl worker, or ecl run … --id inv-2\)/,
    );
    expect(run.stdout).toMatch(/Waiting for signal payment at paid\.waiting/);
    const cancelled = await ecl('send', 'inv-2', 'CANCEL');
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toMatch(/Cancelled inv-2/);
  });
});
