import { describe, expect, it } from 'vitest';
import { VirtualScheduler } from '../../../lib/simulation/virtual-scheduler.js';

describe('Class: VirtualScheduler', () => {
  it('times a forked process (Promise.all of sleeps) and waits for a woken branch before the next event', async () => {
    const sched = new VirtualScheduler(1);
    const log: string[] = [];
    const work = async (): Promise<void> => {
      // Work that takes many microtask turns (as decoding a message does) but no virtual time.
      for (let i = 0; i < 1000; i++) await Promise.resolve();
    };
    sched.spawn('fork', async (proc) => {
      // Branches of 10 ms (then work, then 15 ms more: 25) and 20 and 30 ms, in parallel; then
      // 5 ms after the join: the process ends at 35.
      await Promise.all(
        [10, 20, 30].map(async (ms) => {
          await sched.sleep(proc, ms);
          log.push(`branch ${ms} at ${sched.now}`);
          if (ms === 10) {
            await work();
            await sched.sleep(proc, 15);
            log.push(`branch 10 again at ${sched.now}`);
          }
        }),
      );
      log.push(`joined at ${sched.now}`);
      await work();
      await sched.sleep(proc, 5);
      log.push(`done at ${sched.now}`);
    });
    sched.spawn('other', async (proc) => {
      await sched.sleep(proc, 27);
      log.push(`other at ${sched.now}`);
      await sched.sleep(proc, 7); // 34: between the join (30) and the end (35)
      log.push(`other again at ${sched.now}`);
    });
    await sched.run({ maxSteps: 100, maxTimeMs: 1000 });
    expect(log).toEqual([
      'branch 10 at 10',
      'branch 20 at 20',
      'branch 10 again at 25',
      'other at 27',
      'branch 30 at 30',
      'joined at 30',
      'other again at 34',
      'done at 35',
    ]);
    expect(sched.now).toBe(35);
  });

  it('counts a forked branch that ends early as ended, so later events still fire', async () => {
    const sched = new VirtualScheduler(2);
    const seen: number[] = [];
    sched.spawn('fork', async (proc) => {
      await Promise.all([sched.sleep(proc, 1), sched.sleep(proc, 100)]);
      seen.push(sched.now);
    });
    sched.timer(50, () => seen.push(sched.now));
    await sched.run({ maxSteps: 100, maxTimeMs: 1000 });
    expect(seen).toEqual([50, 100]);
  });
});
