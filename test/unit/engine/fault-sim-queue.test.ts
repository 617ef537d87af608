import { describe, expect, it } from 'vitest';
import { SimQueue } from '../../../lib/simulation/sim-queue.js';
import { VirtualScheduler } from '../../../lib/simulation/virtual-scheduler.js';

/** Moves virtual time to `ms` by running a timer there. */
async function advanceTo(sched: VirtualScheduler, ms: number): Promise<void> {
  sched.timer(ms - sched.now, () => {});
  await sched.run({ maxSteps: 1_000, maxTimeMs: Number.POSITIVE_INFINITY });
}

describe('Class: SimQueue', () => {
  describe('Method: receive', () => {
    it('hides a received message for the visibility timeout, then delivers it again with a higher count', async () => {
      // Prepare
      const sched = new VirtualScheduler(1);
      const q = new SimQueue('q', { fifo: false, visibilityTimeoutMs: 30_000, maxReceiveCount: 5 }, sched);
      q.send('a');

      // Act
      const first = q.receive();
      const hidden = q.receive();
      await advanceTo(sched, 29_999);
      const stillHidden = q.receive();
      await advanceTo(sched, 30_000);
      const again = q.receive();

      // Assess
      expect(first?.receiveCount).toBe(1);
      expect(hidden).toBeUndefined();
      expect(stillHidden).toBeUndefined();
      expect(again?.receiveCount).toBe(2);
      expect(q.delete(first!.receipt)).toBe(false);
      expect(q.delete(again!.receipt)).toBe(true);
      expect(q.size).toBe(0);
    });

    it('dead-letters a message after maxReceiveCount deliveries with the last reason', async () => {
      // Prepare
      const sched = new VirtualScheduler(1);
      const q = new SimQueue('q', { fifo: false, visibilityTimeoutMs: 10, maxReceiveCount: 3 }, sched);
      q.send('poison');

      // Act: 3 deliveries, each failing
      for (let i = 1; i <= 3; i++) {
        const d = q.receive()!;
        q.fail(d.receipt, `failure ${i}`);
        await advanceTo(sched, 10 * i);
      }
      const fourth = q.receive();

      // Assess
      expect(fourth).toBeUndefined();
      expect(q.deadLetters).toEqual([
        { queue: 'q', messageId: 'q-0', body: 'poison', receiveCount: 3, reason: 'failure 3' },
      ]);
    });

    it('FIFO: delivers one message per group at a time, in order', () => {
      // Prepare
      const sched = new VirtualScheduler(1);
      const q = new SimQueue('f', { fifo: true, visibilityTimeoutMs: 1_000, maxReceiveCount: 5 }, sched);
      q.send('a1', { groupId: 'a' });
      q.send('a2', { groupId: 'a' });
      q.send('b1', { groupId: 'b' });

      // Act
      const got = [q.receive()!, q.receive()!];
      const blocked = q.receive();
      q.delete(got.find((d) => d.body === 'a1')!.receipt);
      const next = q.receive();

      // Assess
      expect(got.map((d) => d.body).sort()).toEqual(['a1', 'b1']);
      expect(blocked).toBeUndefined();
      expect(next?.body).toBe('a2');
    });
  });

  describe('Method: send', () => {
    it('FIFO: drops a deduplication id seen within 5 minutes, accepts it after', async () => {
      // Prepare
      const sched = new VirtualScheduler(1);
      const q = new SimQueue('f', { fifo: true, visibilityTimeoutMs: 1_000, maxReceiveCount: 5 }, sched);

      // Act
      const first = q.send('x', { groupId: 'g', deduplicationId: 'j:0:1' });
      await advanceTo(sched, 299_999);
      const inside = q.send('x', { groupId: 'g', deduplicationId: 'j:0:1' });
      await advanceTo(sched, 300_000);
      const after = q.send('x', { groupId: 'g', deduplicationId: 'j:0:1' });

      // Assess
      expect([first, inside, after]).toEqual([true, false, true]);
      expect(q.stats).toMatchObject({ sent: 2, deduplicated: 1 });
    });
  });
});

describe('Class: VirtualScheduler', () => {
  describe('Method: run', () => {
    it('interleaves processes in virtual-time order and never resumes a killed one', async () => {
      // Prepare
      const sched = new VirtualScheduler(1);
      const log: string[] = [];
      const a = sched.spawn('a', async (p) => {
        for (let i = 0; i < 3; i++) {
          await sched.sleep(p, 5);
          log.push(`a@${sched.now}`);
        }
      });
      sched.spawn('b', async (p) => {
        await sched.sleep(p, 7);
        log.push(`b@${sched.now}`);
        sched.kill(a);
        await sched.sleep(p, 100);
        log.push(`b@${sched.now}`);
      });

      // Act
      await sched.run({ maxSteps: 100, maxTimeMs: 1_000 });

      // Assess: a wakes at 5 and 10 would follow b's kill at 7
      expect(log).toEqual(['a@5', 'b@7', 'b@107']);
    });
  });
});
