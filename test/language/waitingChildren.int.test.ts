import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';

/** Waits for an engineer's acknowledgement: a signal with a timeout. */
const acknowledge = defineWorkflow({
  name: 'acknowledge',
  version: 1,
  input: z.object({ ticket: z.string() }),
  outputs: { ack: z.object({ engineer: z.string() }) },
  output: 'ack',
  steps: [
    { kind: 'produce', name: 'page', run: async (ctx) => `paged for ${ctx.input.ticket}` },
    { kind: 'signal', name: 'ack', signal: 'engineer_ack', timeoutMs: 4 * 3_600_000 },
  ],
});

/** Escalates: an approval, then the acknowledgement as a child of its own. */
const escalate = defineWorkflow({
  name: 'escalate',
  version: 1,
  input: z.object({ ticket: z.string() }),
  steps: [
    { kind: 'produce', name: 'draft', run: async (ctx) => `escalation of ${ctx.input.ticket}` },
    { kind: 'approval', name: 'approve' },
    { kind: 'produce', name: 'page', run: async (ctx) => (await ctx.child('ack', acknowledge, { ticket: ctx.input.ticket })).engineer },
  ],
});

const ticket = defineWorkflow({
  name: 'ticket',
  version: 1,
  input: z.object({ ticket: z.string() }),
  steps: [
    { kind: 'produce', name: 'escalate', run: async (ctx) => `handled by ${String(await ctx.child('esc', escalate, { ticket: ctx.input.ticket }))}` },
    { kind: 'produce', name: 'close', run: async (ctx) => `closed: ${String(ctx.outputs.escalate)}` },
  ],
});

describe('a parent waiting for children that wait for a person or a signal', () => {
  it('settles when its family is at rest, naming the children it waits on; each answer moves the family on', async () => {
    const t = createTestEngine({ definitions: [ticket, escalate, acknowledge] });
    // The child waits for APPROVE: the parent is running, at rest with it.
    const first = await t.run(ticket, { ticket: 'T-1' }, { id: 't1' });
    expect(first).toMatchObject({ status: 'running', step: 'escalate', waitingOnChildren: [expect.stringMatching(/^t1\.esc-/)] });
    const [childId] = first.waitingOnChildren ?? [];
    expect(await t.engine.get(childId as string)).toMatchObject({ status: 'waiting', waitingFor: { kind: 'approval' } });

    // Approved, the child waits on a grandchild that waits for a signal: still at rest, on the same child.
    expect(await t.send(childId as string, { type: 'APPROVE' })).toMatchObject({ status: 'running', waitingOnChildren: [expect.stringMatching(/\.ack-/)] });
    const parked = await t.engine.settled('t1');
    expect(parked).toMatchObject({ status: 'running', waitingOnChildren: [childId] });
    const [grandchildId] = (await t.engine.settled(childId as string)).waitingOnChildren ?? [];
    expect(await t.engine.get(grandchildId as string)).toMatchObject({ status: 'waiting', waitingFor: { kind: 'signal', signal: 'engineer_ack' } });

    // The signal ends the grandchild, then the child, then the parent.
    await t.send(grandchildId as string, acknowledge.signal('engineer_ack', { engineer: 'ada' }));
    const done = await t.engine.settled('t1');
    expect(done).toMatchObject({ status: 'completed', output: 'closed: handled by ada' });
    expect(done.waitingOnChildren).toBeUndefined();
    await t.close();
  });

  it("a child whose signal times out on the simulated clock fails it, and the parent's step with it", async () => {
    const t = createTestEngine({ definitions: [ticket, escalate, acknowledge] });
    const first = await t.run(ticket, { ticket: 'T-2' }, { id: 't2' });
    const [childId] = first.waitingOnChildren ?? [];
    await t.send(childId as string, { type: 'APPROVE' });
    // Nobody acknowledges: the grandchild's 4 h timeout passes.
    await t.clock.advance(5 * 3_600_000);
    expect(await t.engine.settled('t2')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/Child workflow t2\.esc-.* failed: .*waited for signal "engineer_ack" until 2030-01-01T04:00:00.000Z; it did not come/),
    });
    await t.close();
  });
});
