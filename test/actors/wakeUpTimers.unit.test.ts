import { describe, expect, it } from 'vitest';
import { createWakeUpTimers } from '../../src/actors/wakeUpTimers.js';
import { createManualClock } from '../../src/testing/index.js';

/** A wake that holds until the test lets it go, counting how many run at once. */
function heldWakes() {
  const held = new Map<string, () => void>();
  const woken: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const wake = (workflowId: string): Promise<void> => {
    woken.push(workflowId);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    return new Promise((resolve) =>
      held.set(workflowId, () => {
        running--;
        held.delete(workflowId);
        resolve();
      }),
    );
  };
  const releaseAll = async (): Promise<void> => {
    for (const release of [...held.values()]) release();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { wake, woken, held, releaseAll, mostAtOnce: () => mostAtOnce };
}

describe('wake-up timers', () => {
  it('given 600 wake-ups due at one instant, when they come due, then at most 256 run at once, in due order, and every one runs once', async () => {
    const clock = createManualClock('2030-01-01T00:00:00.000Z', { autoAdvance: false });
    const wakes = heldWakes();
    const failures: unknown[] = [];
    const timers = createWakeUpTimers({ clock, wake: wakes.wake, track: (work) => void work.catch((error) => failures.push(error)), closed: () => false });
    const ids = Array.from({ length: 600 }, (_, index) => `wf-${String(index).padStart(3, '0')}`);
    for (const id of ids) timers.wakeAt(id, '2030-01-01T00:00:05.000Z');

    await clock.advance(5_000);
    expect(wakes.held.size).toBe(256);
    // The ones waiting their turn still count as due: settled keeps waiting for them.
    expect(timers.dueAt(ids[599]!)).toBe('2030-01-01T00:00:05.000Z');
    expect(timers.dueAt(ids[0]!)).toBeUndefined();

    const lastWoken = timers.nextWake(ids[599]!);
    while (wakes.held.size > 0) await wakes.releaseAll();
    await lastWoken;

    expect(wakes.mostAtOnce()).toBe(256);
    expect(wakes.woken).toEqual(ids);
    expect(timers.dueAt(ids[599]!)).toBeUndefined();
    expect(failures).toEqual([]);
  });

  it('given wake-ups waiting their turn, when they are cleared, then they never run and their workflows have nothing due', async () => {
    const clock = createManualClock('2030-01-01T00:00:00.000Z', { autoAdvance: false });
    const wakes = heldWakes();
    const timers = createWakeUpTimers({ clock, wake: wakes.wake, track: () => undefined, closed: () => false });
    const ids = Array.from({ length: 300 }, (_, index) => `wf-${index}`);
    for (const id of ids) timers.wakeAt(id, '2030-01-01T00:00:01.000Z');
    await clock.advance(1_000);

    const odd = (id: string): boolean => Number(id.slice(3)) % 2 === 1;
    timers.clear(odd);
    expect(timers.dueAt('wf-299')).toBeUndefined();
    expect(timers.dueAt('wf-298')).toBe('2030-01-01T00:00:01.000Z');
    while (wakes.held.size > 0) await wakes.releaseAll();

    // The first 256 had started before the clear; of the 44 waiting, only the even ones ran.
    const waitingWoken = wakes.woken.slice(256);
    expect(waitingWoken).toEqual(ids.slice(256).filter((id) => !odd(id)));
  });
});
